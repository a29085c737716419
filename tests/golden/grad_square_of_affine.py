def grad_square_of_affine(x, bout=1.0):
    t_1 = 3 * x + 2
    out = t_1 ** 2
    # Grad of: return (3 * x + 2) ** 2
    bt_1 = bout * t_1
    bx = bt_1 * 6
    return out, bx
