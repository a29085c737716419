def d_grad_scalar_branch(x, bout=1.0, dx=1.0):
    cond = x > 0
    if cond:
        t = np.sin(x)
        # Tangent of: y = np.sin(x) * x
        dt = dx * runtime.cos(x)
        dy = dt * x + dx * t
        dy_2 = dy
    else:
        # Tangent of: y = x ** 3
        dy_1 = dx * (3 * x ** 2)
        dy_2 = dy_1
    # Grad of: return y * x
    by_2 = bout * x
    # Tangent of the grad of: return y * x
    dby_2 = dx * bout
    dbx = dy_2 * bout
    # Grad of: if x > 0:
    if cond:
        # Grad of: y = np.sin(x) * x
        bt = by_2 * x
        # Tangent of the grad of: y = np.sin(x) * x
        dbt = dby_2 * x + dx * by_2
        dbx_1 = dbx + (dby_2 * t + dt * by_2)
        dbx_2 = dbx_1 + (dbt * runtime.cos(x) + dx * -runtime.sin(x) * bt)
        dbx_4 = dbx_2
    else:
        # Tangent of the grad of: y = x ** 3
        dbx_3 = dbx + (dby_2 * (3 * x ** 2) + dx * x * 6 * by_2)
        dbx_4 = dbx_3
    return dbx_4
