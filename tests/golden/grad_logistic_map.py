def grad_logistic_map(x, r, steps, bx_1=1.0):
    tape = runtime.Tape()
    x_1 = x
    for _ in range(steps):
        x_2 = r * x_1 * (1 - x_1)
        tape.push(x_1)
        x_1 = x_2
    # Grad of: for i in range(steps):
    br = runtime.zeros_grad(r)
    bx_2 = bx_1
    for _ in reversed(range(steps)):
        x_3 = tape.pop()
        t_1 = r * x_3
        t_2 = 1 - x_3
        # Grad of: x = r * x * (1 - x)
        bt_1 = runtime.unbroadcast(bx_2 * t_2, t_1)
        bt_2 = runtime.unbroadcast(bx_2 * t_1, t_2)
        br = br + runtime.unbroadcast(bt_1 * x_3, r)
        bx_1 = runtime.unbroadcast(bt_1 * r, x_3) - bt_2
        bx_2 = bx_1
    return x_1, (bx_2, br)
