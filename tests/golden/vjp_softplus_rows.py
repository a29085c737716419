def vjp_softplus_rows(x, bout):
    t = np.exp(x)
    t_1 = 1 + t
    t_2 = np.log(t_1)
    out = np.sum(t_2, axis=1)
    bout_1 = runtime.check_seed(bout, out)
    # Grad of: return np.log(1 + np.exp(x)).sum(axis=1)
    bt_2 = runtime.unreduce(bout_1, t_2, axis=1)
    bt_1 = bt_2 / t_1
    bx = bt_1 * t
    return bx
