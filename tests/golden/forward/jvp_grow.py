def jvp_grow(x, dx):
    x_1 = x
    dx_1 = dx
    while x_1 < 10.0:
        x_2 = x_1 * 1.5
        # Tangent of: x = x * 1.5
        dx_2 = 1.5 * dx_1
        x_1 = x_2
        dx_1 = dx_2
    return x_1, dx_1
