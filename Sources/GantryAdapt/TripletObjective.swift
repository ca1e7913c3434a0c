import GantryMath

/// The triplet margin loss on cosine similarity and its gradient, both as BLAS calls:
///
///     loss = Σ wₐ max(0, m − cos(q', t⁺') + cos(q', t⁻')) / Σ wₐ   (over triplets; wₐ the anchor's weight)
///     q' = normalize(q + (q Vᵀᵀ) Uᵀ)          (the adapter on the query side)
///     t' = normalize(t [+ (t Vᵀᵀ) Uᵀ] [+ bₜ])  (the adapter when side = both; offsets)
///
/// Forward: H = X·downᵀ and Z = X + H·up per side (2 sgemm). Backward through the
/// normalization, g_z = (g_a − a (a·g_a)) / ‖z‖, then ∂up = Hᵀ G_z, ∂H = G_z·upᵀ,
/// ∂down = ∂Hᵀ X (3 sgemm per side). The anchor and tool rows of a batch are each computed
/// once, however many triplets share them.
struct TripletObjective {
    let margin: Float
    let side: LowRankAdapter.Side
    let queries: Matrix
    let tools: Matrix

    struct Gradients {
        var up: Matrix
        var down: Matrix
        /// (tool row, gradient row) for the tools of the batch, when offsets are trained.
        var offsetRows: [Int]
        var offsets: Matrix?
        var activeTriplets: Int
    }

    /// One side's forward pass over `x`: the hidden projection, the unit rows and their norms.
    private func forward(_ x: Matrix, _ p: AdapterParameters, adapt: Bool, offsets rows: [Int]?) throws(MathError)
        -> (hidden: Matrix?, unit: Matrix, norms: [Float])
    {
        var z = x
        var hidden: Matrix?
        if adapt {
            let h = try Matrix.product(x, p.down, transposeB: true)
            try Matrix.gemm(h, p.up, beta: 1, into: &z)
            hidden = h
        }
        if let rows, let offsets = p.offsets {
            let d = x.cols
            offsets.withUnsafeBufferPointer { b in
                z.withUnsafeMutableBufferPointer { out in
                    for (slot, tool) in rows.enumerated() {
                        SIMDKernels.axpy(1, UnsafeBufferPointer(rebasing: b[tool * d..<(tool + 1) * d]),
                                         UnsafeMutableBufferPointer(rebasing: out[slot * d..<(slot + 1) * d]))
                    }
                }
            }
        }
        let norms = z.rowNorms()
        z.withUnsafeMutableBufferPointer { out in
            for (row, norm) in norms.enumerated() {
                SIMDKernels.scale(UnsafeMutableBufferPointer(rebasing: out[row * x.cols..<(row + 1) * x.cols]), by: 1 / max(norm, 1e-12))
            }
        }
        return (hidden, z, norms)
    }

    /// `g ← (g − a (a·g)) / norm` row by row: the gradient through `a = z / ‖z‖`.
    private func throughNormalization(_ g: inout Matrix, unit a: Matrix, norms: [Float]) {
        let d = a.cols
        a.withUnsafeBufferPointer { ab in
            g.withUnsafeMutableBufferPointer { gb in
                for row in 0..<a.rows {
                    let ar = UnsafeBufferPointer(rebasing: ab[row * d..<(row + 1) * d])
                    let gr = UnsafeMutableBufferPointer(rebasing: gb[row * d..<(row + 1) * d])
                    let projection = SIMDKernels.dot(ar, UnsafeBufferPointer(gr))
                    SIMDKernels.axpy(-projection, ar, gr)
                    SIMDKernels.scale(gr, by: 1 / max(norms[row], 1e-12))
                }
            }
        }
    }

    /// Loss (the weighted mean over the batch's triplets; over the margin-violating pairs with
    /// `everyNegative`) and gradients at `p`.
    func lossAndGradients(_ p: AdapterParameters, batch: TripletBatch) throws(MathError) -> (loss: Float, gradients: Gradients) {
        let d = queries.cols, r = p.up.rows
        // The batch's distinct tools, each a row of T_b.
        var slotOf = [Int32: Int32]()
        var toolRows = [Int]()
        var triplets = [(anchor: Int, positive: Int, negative: Int)]()
        triplets.reserveCapacity(batch.triplets.count)
        for tool in batch.everyNegative?.map(\.positive) ?? [] where slotOf[tool] == nil {
            slotOf[tool] = Int32(toolRows.count)
            toolRows.append(Int(tool))
        }
        for t in batch.triplets {
            for tool in [t.positive, t.negative] where slotOf[tool] == nil {
                slotOf[tool] = Int32(toolRows.count)
                toolRows.append(Int(tool))
            }
            triplets.append((Int(t.anchor), Int(slotOf[t.positive]!), Int(slotOf[t.negative]!)))
        }
        let q = try queries.gatherRows(batch.anchors)
        let t = try tools.gatherRows(toolRows)
        let (hq, aq, nq) = try forward(q, p, adapt: true, offsets: nil)
        let (ht, at, nt) = try forward(t, p, adapt: side == .both, offsets: p.offsets == nil ? nil : toolRows)

        var gq = Matrix(rows: q.rows, cols: d), gt = Matrix(rows: t.rows, cols: d)
        var loss: Float = 0, active = 0
        func anchorWeight(_ slot: Int) -> Float { batch.weights.isEmpty ? 1 : batch.weights[slot] }
        var scale = 1 / max(triplets.reduce(Float(0)) { $0 + anchorWeight($1.anchor) }, .leastNormalMagnitude)
        if let every = batch.everyNegative {
            var activeWeight: Float = 0
            // Scores of every anchor against every batch tool (one sgemm), the hinge per pair,
            // then the gradients as two more sgemm calls through the score gradient.
            let scores = try Matrix.product(aq, at, transposeB: true)
            var dScores = Matrix(rows: aq.rows, cols: at.rows)
            scores.withUnsafeBufferPointer { s in
                dScores.withUnsafeMutableBufferPointer { ds in
                    let u = at.rows
                    for (a, entry) in every.enumerated() {
                        let p = Int(slotOf[entry.positive]!)
                        let skip = Set(entry.alsoCorrect.compactMap { slotOf[$0].map(Int.init) } + [p])
                        let w = anchorWeight(a)
                        for j in 0..<u where !skip.contains(j) {
                            let violation = margin - s[a * u + p] + s[a * u + j]
                            guard violation > 0 else { continue }
                            loss += w * violation
                            active += 1
                            activeWeight += w
                            ds[a * u + j] += w
                            ds[a * u + p] -= w
                        }
                    }
                }
            }
            scale = 1 / max(activeWeight, .leastNormalMagnitude)
            dScores.withUnsafeMutableBufferPointer { SIMDKernels.scale($0, by: scale) }
            try Matrix.gemm(dScores, at, into: &gq)
            try Matrix.gemm(dScores, aq, transposeA: true, into: &gt)
            triplets = []
        }
        aq.withUnsafeBufferPointer { A in
            at.withUnsafeBufferPointer { T in
                gq.withUnsafeMutableBufferPointer { GQ in
                    gt.withUnsafeMutableBufferPointer { GT in
                        func row(_ b: UnsafeBufferPointer<Float>, _ i: Int) -> UnsafeBufferPointer<Float> { UnsafeBufferPointer(rebasing: b[i * d..<(i + 1) * d]) }
                        func row(_ b: UnsafeMutableBufferPointer<Float>, _ i: Int) -> UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(rebasing: b[i * d..<(i + 1) * d]) }
                        for (a, pos, neg) in triplets {
                            let violation = margin - SIMDKernels.dot(row(A, a), row(T, pos)) + SIMDKernels.dot(row(A, a), row(T, neg))
                            guard violation > 0 else { continue }
                            let weight = anchorWeight(a)
                            loss += weight * violation
                            active += 1
                            let step = weight * scale
                            SIMDKernels.axpy(step, row(T, neg), row(GQ, a))
                            SIMDKernels.axpy(-step, row(T, pos), row(GQ, a))
                            SIMDKernels.axpy(-step, row(A, a), row(GT, pos))
                            SIMDKernels.axpy(step, row(A, a), row(GT, neg))
                        }
                    }
                }
            }
        }
        throughNormalization(&gq, unit: aq, norms: nq)
        throughNormalization(&gt, unit: at, norms: nt)

        var gradUp = Matrix(rows: r, cols: d), gradDown = Matrix(rows: r, cols: d)
        try Matrix.gemm(hq!, gq, transposeA: true, into: &gradUp)
        let dhq = try Matrix.product(gq, p.up, transposeB: true)
        try Matrix.gemm(dhq, q, transposeA: true, into: &gradDown)
        if side == .both, let ht {
            try Matrix.gemm(ht, gt, transposeA: true, beta: 1, into: &gradUp)
            let dht = try Matrix.product(gt, p.up, transposeB: true)
            try Matrix.gemm(dht, t, transposeA: true, beta: 1, into: &gradDown)
        }
        let gradients = Gradients(up: gradUp, down: gradDown, offsetRows: p.offsets == nil ? [] : toolRows,
                                  offsets: p.offsets == nil ? nil : gt, activeTriplets: active)
        return (loss * scale, gradients)
    }

    /// Floating-point operations of one step (the five products per adapted side).
    static func flops(anchors: Int, tools: Int, rank: Int, dimension: Int, side: LowRankAdapter.Side) -> Double {
        let rows = Double(anchors + (side == .both ? tools : 0))
        return rows * 10 * Double(rank * dimension)
    }
}
