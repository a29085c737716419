def jvp_logistic_loss(w, b, x, y, dw, db):
    z = x @ w + b
    # Tangent of: z = x @ w + b
    dt = x @ dw
    dz = dt + db
    t_2 = np.exp(-z)
    t_3 = 1 + t_2
    p = 1 / t_3
    # Tangent of: p = 1 / (1 + np.exp(-z))
    dt_1 = -dz
    dt_2 = dt_1 * t_2
    dp = dt_2 * (-p / t_3)
    t_6 = 1 - y
    t_7 = 1 - p
    out = -np.mean(y * np.log(p) + t_6 * np.log(t_7))
    # Tangent of: return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    dt_4 = dp / p
    dt_5 = dt_4 * y
    dt_7 = -dp
    dt_8 = dt_7 / t_7
    dt_9 = dt_8 * t_6
    dt_10 = dt_5 + dt_9
    dt_11 = np.mean(dt_10)
    dout = -dt_11
    return out, dout
