import GantryKernels

extension TransformerKernels {
    /// A matrix's 8-bit weights (`gk_pack_panels_i8`): codes in panels of row quads, each
    /// column's scale and sum of codes, and the outlier weights, in memory of their own that lives
    /// as long as the matrix.
    final class Int8Weights: @unchecked Sendable {
        private let panels: UnsafeMutableBufferPointer<Int8>
        private let scales: UnsafeMutableBufferPointer<Float>
        private let sums: UnsafeMutableBufferPointer<Int32>
        private let outlierStarts: UnsafeMutableBufferPointer<Int32>
        private let outliers: UnsafeMutableBufferPointer<gk_i8_weight_outlier>
        /// What `gk_gemm_panels_i8` reads; its pointers stay valid while this object lives.
        let operand: gk_i8_weights

        init(_ quantized: Int8Quantization) {
            let (rows, columns) = (quantized.rows, quantized.columns)
            let padded = (columns + 31) / 32 * 32
            panels = .allocate(capacity: padded * 4 * ((rows + 3) / 4))
            scales = .allocate(capacity: padded)
            sums = .allocate(capacity: padded)
            outlierStarts = .allocate(capacity: padded / 32 + 1)
            outliers = .allocate(capacity: max(1, quantized.outliers.count))
            _ = outliers.initialize(from: quantized.outliers)
            gk_pack_panels_i8(quantized.codes, quantized.scales, rows, columns, outliers.baseAddress, quantized.outliers.count,
                              panels.baseAddress, scales.baseAddress, sums.baseAddress, outlierStarts.baseAddress)
            operand = gk_i8_weights(panels: panels.baseAddress, scales: scales.baseAddress, sums: sums.baseAddress,
                                    outlier_starts: outlierStarts.baseAddress, outliers: outliers.baseAddress, n: columns)
        }

        /// Bytes of codes, scales, sums and outliers.
        var byteCount: Int {
            panels.count + (scales.count + sums.count + outlierStarts.count) * 4 + outliers.count * MemoryLayout<gk_i8_weight_outlier>.stride
        }

        deinit {
            panels.deallocate()
            scales.deallocate()
            sums.deallocate()
            outlierStarts.deallocate()
            outliers.deallocate()
        }
    }

    /// The rows of one 8-bit product as `gk_u8_quads` writes them, in one allocation for the call.
    enum Int8Rows {
        /// Quantises x (`rows × k`; in `parts` shares of `WorkerPool.shared` when there are
        /// enough rows to pay for the hand-off) and gives `body` the rows as `gk_gemm_panels_i8`
        /// reads them.
        static func quantising(_ x: UnsafeBufferPointer<Float>, rows: Int, k: Int, parts: Int, _ body: (gk_i8_rows) -> Void) {
            let quadCount = (k + 3) / 4, slots = rows * Int(GK_I8_OUTLIERS)
            // Quads, scales, zeros, outlier counts, indices and values: 4-byte elements each.
            let words = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 * (rows * (quadCount + 3) + 2 * slots), alignment: 64)
            defer { words.deallocate() }
            let base = words.baseAddress!
            let quads = base.bindMemory(to: UInt32.self, capacity: rows * quadCount)
            let scales = (base + 4 * rows * quadCount).bindMemory(to: Float.self, capacity: rows)
            let zeros = (base + 4 * rows * (quadCount + 1)).bindMemory(to: Int32.self, capacity: rows)
            let counts = (base + 4 * rows * (quadCount + 2)).bindMemory(to: Int32.self, capacity: rows)
            let indices = (base + 4 * rows * (quadCount + 3)).bindMemory(to: Int32.self, capacity: slots)
            let values = (base + 4 * (rows * (quadCount + 3) + slots)).bindMemory(to: Float.self, capacity: slots)
            let slotCount = Int(GK_I8_OUTLIERS), xp = x.baseAddress
            WorkerPool.shared.run(sharing: rows, parts: rows >= 64 ? parts : 1) { share, _ in
                let (r, count) = (share.lowerBound, share.count)
                gk_u8_quads(xp.map { $0 + r * k }, count, k, quads + r * quadCount, scales + r, zeros + r, counts + r,
                            indices + r * slotCount, values + r * slotCount)
            }
            body(gk_i8_rows(x: x.baseAddress, k: k, quads: quads, scales: scales, zeros: zeros, outlier_counts: counts,
                            outlier_indices: indices, outlier_values: values))
        }
    }
}
