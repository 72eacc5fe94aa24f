/* One minibatch step of skann's network in C, for one floating-point type.
 *
 * Included twice by _kernels.c, with REAL = double (SUFFIX _d, GEMM = dgemm)
 * and REAL = float (SUFFIX _s, GEMM = sgemm).  Every function mirrors a numpy
 * expression of skann/_network.py, _activations.py or _optimizers.py, in the
 * same order of operations (the module is compiled with -ffp-contract=off), so
 * that the compiled and the numpy paths differ by rounding only: the math
 * library's exp/log/tanh against numpy's, and the sums that a phase cut in
 * two parts adds in another order (see _kernels.c).
 *
 * Arrays are row-major; BLAS is column-major, so a row-major product
 * C (m x n) = A (m x k) @ B (k x n) is computed as C^T = B^T @ A^T.
 */

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define FN(name) CAT(name, SUFFIX)

/* C (m x n, rows ldc apart) = op(A) @ op(B), row-major; ta/tb: 'N' or 'T'
 * as in numpy's A.T; lda, ldb: the row lengths of A and B as stored. */
static void FN(matmul)(char ta, char tb, int m, int n, int k, const REAL *A,
                       int lda, const REAL *B, int ldb, REAL *C, int ldc)
{
    REAL one = 1, zero = 0;
    if (m == 0 || n == 0) return;
    GEMM(&tb, &ta, &n, &m, &k, &one, (REAL *)B, &ldb, (REAL *)A, &lda, &zero, C,
         &ldc);
}

/* tanh(x) as Cephes computes it (within 2 ulp of the exact value): a
 * rational (float64) or polynomial (float32) approximation below 0.625, and
 * 1 - 2 / (exp(2|x|) + 1) above; 3-4x faster than the C library's tanh,
 * which would make the compiled loop slower than numpy's vectorised one. */
static REAL FN(tanh_)(REAL x)
{
    REAL z = x < 0 ? -x : x;
    if (!(z < TANH_ONE)) return x != x ? x : (x > 0 ? 1 : -1);  /* NaN stays NaN */
    if (z >= (REAL)0.625) {
        REAL y = 1 - 2 / (EXP(2 * z) + 1);
        return x < 0 ? -y : y;
    }
    REAL s = x * x;
#if IS_FLOAT
    return ((((-5.70498872745E-3f * s + 2.06390887954E-2f) * s - 5.37397155531E-2f) * s +
             1.33314422036E-1f) * s - 3.33332819422E-1f) * s * x + x;
#else
    REAL p = (-9.64399179425052238628E-1 * s - 9.92877231001918586564E1) * s -
             1.61468768441708447952E3;
    REAL q = ((s + 1.12811678491632931402E2) * s + 2.23548839060100448583E3) * s +
             4.84406305325125486048E3;
    return x + x * s * p / q;
#endif
}

/* Z = f(Z + b), row by row: the bias and the hidden activation in one pass. */
VECTOR_CLONES
static void FN(bias_activation)(REAL *restrict Z, const REAL *restrict b,
                                Py_ssize_t m, int n, int activation)
{
    for (Py_ssize_t i = 0; i < m; i++) {
        REAL *z = Z + i * n;
        switch (activation) {
        case ACT_IDENTITY:
            for (int j = 0; j < n; j++) z[j] = z[j] + b[j];
            break;
        case ACT_RELU:  /* np.maximum(z, 0): keeps NaN */
            for (int j = 0; j < n; j++) {
                REAL v = z[j] + b[j];
                z[j] = v < 0 ? 0 : v;
            }
            break;
        case ACT_TANH:
            for (int j = 0; j < n; j++) z[j] = FN(tanh_)(z[j] + b[j]);
            break;
        case ACT_LOGISTIC:
            for (int j = 0; j < n; j++) z[j] = 1 / (1 + EXP(-(z[j] + b[j])));
            break;
        }
    }
}

/* delta *= f'(Z), with f' written through A = f(Z) (_activations.py). */
VECTOR_CLONES
static void FN(activation_derivative)(const REAL *restrict A, REAL *restrict delta,
                                      Py_ssize_t size, int activation)
{
    switch (activation) {
    case ACT_RELU:  /* multiply by the mask, as numpy does: NaN stays NaN */
        for (Py_ssize_t i = 0; i < size; i++) delta[i] *= (REAL)(A[i] > 0);
        break;
    case ACT_TANH:
        for (Py_ssize_t i = 0; i < size; i++) delta[i] = delta[i] * (1 - A[i] * A[i]);
        break;
    case ACT_LOGISTIC:
        for (Py_ssize_t i = 0; i < size; i++) delta[i] = delta[i] * ((1 - A[i]) * A[i]);
        break;
    }
}

/* np.logaddexp(0, z), as numpy computes it. */
static REAL FN(log1pexp)(REAL z)
{
    if (z == 0) return (REAL)M_LN2;
    if (z < 0) return LOG1P(EXP(z));
    if (z > 0) return z + LOG1P(EXP(-z));
    return z;  /* NaN */
}

/* The output layer (Network.loss_and_output_error): the summed
 * ``per_sample`` cross-entropies of the logits Z (m x n) weighted by sw, and
 * Z turned into the scaled output error (A_out - Y) * w_i / sw_sum in place.
 * Returns the weighted loss sum (to be divided by sw_sum). */
static double FN(output_error)(REAL *Z, const REAL *Y, const REAL *sw,
                               Py_ssize_t m, int n, int output, double sw_sum)
{
    double total = 0;
    REAL weight = (REAL)sw_sum;
    for (Py_ssize_t i = 0; i < m; i++) {
        REAL *z = Z + i * n;
        const REAL *y = Y + i * n;
        REAL per_sample = 0;
        if (output == OUT_LOGISTIC) {
            for (int j = 0; j < n; j++) {
                per_sample += FN(log1pexp)(z[j]) - y[j] * z[j];
                z[j] = 1 / (1 + EXP(-z[j]));
            }
        } else {  /* softmax, as scipy's log_softmax and softmax compute it */
            REAL z_max = z[0];
            for (int j = 1; j < n; j++)
                if (z[j] > z_max || z[j] != z[j]) z_max = z[j];
            if (!isfinite(z_max)) z_max = 0;
            REAL sum = 0;
            for (int j = 0; j < n; j++) sum += EXP(z[j] - z_max);
            REAL log_sum = LOG(sum);
            for (int j = 0; j < n; j++) {
                REAL shifted = z[j] - z_max;
                per_sample += y[j] * (shifted - log_sum);
                z[j] = EXP(shifted) / sum;
            }
            per_sample = -per_sample;
        }
        REAL scale = sw == NULL ? 0 : sw[i] / weight;  /* as numpy: dZ /= m or */
        for (int j = 0; j < n; j++)                    /* dZ *= sw / sw_sum */
            z[j] = sw == NULL ? (z[j] - y[j]) / weight : (z[j] - y[j]) * scale;
        total += sw == NULL ? (double)per_sample : (double)per_sample * sw[i];
    }
    return total;
}

/* Copy rows r0 .. r1 - 1 of the batch (rows ``order[start + i]``, or
 * ``start + i``, of ``src``) into the rows r0 .. r1 - 1 of ``out``. */
static int FN(gather)(const Source *src, const Batch *bt, int width, Py_ssize_t r0,
                      Py_ssize_t r1, REAL *out)
{
    for (Py_ssize_t i = r0; i < r1; i++) {
        Py_ssize_t r = bt->order == NULL ? bt->start + i : bt->order[bt->start + i];
        if (r < 0 || r >= bt->n_rows) return -1;
        const char *row = src->base + r * src->row_stride;
        if (src->col_stride == sizeof(REAL)) {
            memcpy(out + i * width, row, width * sizeof(REAL));
        } else {
            for (int j = 0; j < width; j++)
                memcpy(out + i * width + j, row + j * src->col_stride, sizeof(REAL));
        }
    }
    return 0;
}

/* Phase 1, on the batch rows [r0, r1): gather them (in shuffled epochs, or
 * from data not in C order), push them forward, turn the logits into the
 * output error and backpropagate it to every hidden layer's dZ (deltas).
 * Rows are independent up to here.  Returns the rows' weighted loss sum. */
static double FN(rows_pass)(Stepper *s, Batch *bt, Py_ssize_t r0, Py_ssize_t r1)
{
    int L = s->n_layers, n0 = s->sizes[0], n_out = s->sizes[L], m = (int)(r1 - r0);
    REAL **outputs = (REAL **)s->outputs, **deltas = (REAL **)s->deltas;
    const REAL *params = bt->params;
    if (bt->gather && (FN(gather)(bt->X, bt, n0, r0, r1, (REAL *)bt->Xb) ||
                       FN(gather)(bt->Y, bt, n_out, r0, r1, (REAL *)bt->Yb))) {
        s->index_error = 1;
        return 0;
    }
    if (m == 0) return 0;
    const REAL *A = (const REAL *)bt->Xb + r0 * n0;  /* forward: f(A_prev @ W + b) */
    for (int k = 0; k < L; k++) {
        int n_in = s->sizes[k], width = s->sizes[k + 1];
        REAL *Z = outputs[k] + r0 * width;
        FN(matmul)('N', 'N', m, width, n_in, A, n_in, params + s->coef_at[k], width, Z,
                   width);
        FN(bias_activation)(Z, params + s->bias_at[k], m, width,
                            k < L - 1 ? s->activation : ACT_IDENTITY);
        A = Z;
    }
    const REAL *sw = bt->sw == NULL ? NULL : (const REAL *)bt->sw + r0;
    double loss = FN(output_error)(outputs[L - 1] + r0 * n_out,
                                   (const REAL *)bt->Yb + r0 * n_out, sw, m, n_out,
                                   s->output, bt->sw_sum);
    for (int k = L - 1; k >= 1; k--) {  /* dZ_prev = (dZ @ W.T) * f'(Z_prev) */
        int n_in = s->sizes[k], width = s->sizes[k + 1];
        const REAL *dZ = k == L - 1 ? outputs[k] : deltas[k];
        FN(matmul)('N', 'T', m, n_in, width, dZ + r0 * width, width,
                   params + s->coef_at[k], width, deltas[k - 1] + r0 * n_in, n_in);
        FN(activation_derivative)(outputs[k - 1] + r0 * n_in, deltas[k - 1] + r0 * n_in,
                                  (Py_ssize_t)m * n_in, s->activation);
    }
    return loss;
}

/* Phase 2, on part p of every layer's units: dW = A_prev.T @ dZ and
 * db = dZ.sum(axis=0) over all rows, plus the L2 term alpha / sw_sum * W.
 * Returns the part's sum(W ** 2). */
VECTOR_CLONES
static double FN(columns_pass)(Stepper *s, Batch *bt, int p, int parts)
{
    int L = s->n_layers, m = (int)bt->m;
    REAL **outputs = (REAL **)s->outputs, **deltas = (REAL **)s->deltas;
    const REAL *params = bt->params;
    REAL *grad = (REAL *)s->grad, decay = (REAL)(bt->alpha / bt->sw_sum);
    double squares = 0;
    for (int k = 0; k < L; k++) {
        int n_in = s->sizes[k], width = s->sizes[k + 1];
        int j0 = (int)cut(width, p, parts), j1 = (int)cut(width, p + 1, parts);
        if (j0 == j1) continue;
        const REAL *A_prev = k ? outputs[k - 1] : (const REAL *)bt->Xb;
        const REAL *dZ = k == L - 1 ? outputs[k] : deltas[k];
        const REAL *W = params + s->coef_at[k];
        REAL *dW = grad + s->coef_at[k], *db = grad + s->bias_at[k];
        FN(matmul)('T', 'N', n_in, j1 - j0, m, A_prev, n_in, dZ + j0, width, dW + j0,
                   width);
        for (int j = j0; j < j1; j++) db[j] = dZ[j];
        for (Py_ssize_t i = 1; i < m; i++)
            for (int j = j0; j < j1; j++) db[j] += dZ[i * width + j];
        double lanes[4] = {0, 0, 0, 0};  /* four sums in turn: no wait on one */
        for (Py_ssize_t i = 0; i < n_in; i++)
            for (int j = j0; j < j1; j++) {
                REAL w = W[i * width + j];
                lanes[j & 3] += (double)(w * w);
                dW[i * width + j] += w * decay;
            }
        squares += (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    }
    return squares;
}

/* Phase 3, on params[i0:i1]: one optimizer step (_optimizers.py).  Adam's
 * bias-corrected step size ``step`` is computed once per batch by the caller. */
VECTOR_CLONES
static void FN(step_pass)(Optimizer *o, REAL *restrict params,
                          const REAL *restrict grad, Py_ssize_t i0, Py_ssize_t i1,
                          double step)
{
    REAL lr = (REAL)o->learning_rate;
    if (o->solver == SOLVER_GD) {
        for (Py_ssize_t i = i0; i < i1; i++) params[i] -= grad[i] * lr;
    } else if (o->solver == SOLVER_SGD) {
        REAL momentum = (REAL)o->a, *restrict velocity = (REAL *)o->buf1;
        for (Py_ssize_t i = i0; i < i1; i++) {
            REAL scaled = grad[i] * lr;
            velocity[i] = velocity[i] * momentum - scaled;
            if (o->nesterov)
                params[i] = (params[i] + velocity[i] * momentum) - scaled;
            else
                params[i] += velocity[i];
        }
    } else {  /* adam */
        REAL beta_1 = (REAL)o->a, beta_2 = (REAL)o->b, epsilon = (REAL)o->c;
        REAL one_minus_1 = (REAL)(1 - o->a), one_minus_2 = (REAL)(1 - o->b);
        REAL rate = (REAL)step;
        REAL *restrict mom = (REAL *)o->buf1, *restrict vel = (REAL *)o->buf2;
        for (Py_ssize_t i = i0; i < i1; i++) {
            REAL g = grad[i];
            mom[i] = mom[i] * beta_1 + g * one_minus_1;
            vel[i] = vel[i] * beta_2 + (g * g) * one_minus_2;
            params[i] -= (mom[i] * rate) / (SQRT(vel[i]) + epsilon);
        }
    }
}

/* Part p of the current phase of the current batch (see _kernels.c). */
static void FN(do_part)(Stepper *s, int p)
{
    Batch *bt = &s->batch;
    int parts = s->parts;
    if (s->phase == PHASE_ROWS)
        s->part_sums[p] = FN(rows_pass)(s, bt, cut(bt->m, p, parts),
                                        cut(bt->m, p + 1, parts));
    else if (s->phase == PHASE_COLUMNS)
        s->part_sums[p] = FN(columns_pass)(s, bt, p, parts);
    else
        FN(step_pass)(&s->optimizer, (REAL *)bt->params, (const REAL *)s->grad,
                      cut(s->n_params, p, parts), cut(s->n_params, p + 1, parts),
                      s->adam_step);
}

#undef FN
