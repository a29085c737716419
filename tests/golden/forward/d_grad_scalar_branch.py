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
        dt_4 = dby_2 * t + dt * by_2
        dbx_1 = dbx + dt_4
        dt_5 = dx * -runtime.sin(x)
        dt_6 = dbt * runtime.cos(x) + dt_5 * bt
        dbx_2 = dbx_1 + dt_6
        dbx_4 = dbx_2
    else:
        # Tangent of the grad of: y = x ** 3
        dt_7 = dx * (2 * x)
        dt_8 = 3 * dt_7
        dt_9 = dby_2 * (3 * x ** 2) + dt_8 * by_2
        dbx_3 = dbx + dt_9
        dbx_4 = dbx_3
    return dbx_4
