def grad_square_of_affine(x, bout=1.0):
    t_1 = 3 * x + 2
    out = t_1 ** 2
    # Grad of: return (3 * x + 2) ** 2
    bt_1 = bout * (2 * t_1)
    bx = 3 * bt_1
    return out, bx
