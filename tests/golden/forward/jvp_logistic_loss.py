def jvp_logistic_loss(w, b, x, y, dw, db):
    z = x @ w + b
    # Tangent of: z = x @ w + b
    dz = x @ dw + db
    t_2 = np.exp(-z)
    t_3 = 1 + t_2
    p = 1 / t_3
    # Tangent of: p = 1 / (1 + np.exp(-z))
    dp = -dz * t_2 * (-p / t_3)
    t_6 = 1 - y
    t_7 = 1 - p
    out = -np.mean(y * np.log(p) + t_6 * np.log(t_7))
    # Tangent of: return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    dout = -np.mean(dp / p * y + -dp / t_7 * t_6)
    return out, dout
