import GantryMath

extension MiniLMEncoder {
    /// The damping of `Int8Quantization(minimizingOutputError:…)` here: 10% of the Gram
    /// matrix's mean diagonal, ten times the paper's. Inputs unlike the calibration texts then
    /// lose less: at 1% a text of 254 repeated words fell to cosine 0.998 to the float vectors
    /// (0.9992 at 10%), while the shortest natural texts kept what calibration gained (README, "8
    /// bits").
    static let calibrationDamping: Float = 0.1

    /// Replaces the float projections packed for calibration with 8-bit ones whose codes keep
    /// each product's error small on the inputs it sees: `calibrationTexts` run through the
    /// float model, each projection's inputs summed as a Gram matrix, then
    /// `Int8Quantization(minimizingOutputError:…)` (GPTQ) per projection. `unpacked` holds the
    /// float weights (input × output) in the order `init` packed them: per layer query-key-value,
    /// attention output, FFN in, FFN out.
    func quantizeProjections(_ unpacked: [[Float]]) throws(EmbedError) {
        let widths = [Self.hiddenSize, Self.hiddenSize, Self.hiddenSize, Self.intermediate]
        precondition(unpacked.count == blocks.count * widths.count)
        var grams = blocks.indices.map { _ in widths.map { Matrix(rows: $0, cols: $0) } }
        let sequences = Self.calibrationTexts.map(tokenizer.encode)
        do {
            for start in stride(from: 0, to: sequences.count, by: 32) {
                _ = try forward(Array(sequences[start..<min(start + 32, sequences.count)])) { layer, projection, input in
                    try Matrix.syrk(input, transpose: true, beta: 1, into: &grams[layer][projection])
                }
            }
        } catch {
            throw .mismatch("the calibration pass for 8-bit weights failed: \(error)")
        }
        for layer in blocks.indices {
            var quantized = [TransformerKernels.PackedMatrix]()
            for projection in widths.indices {
                let w = unpacked[layer * widths.count + projection], rows = widths[projection]
                do {
                    let codes = try w.withUnsafeBufferPointer { (w) throws(MathError) in
                        try Int8Quantization(minimizingOutputError: w, rows: rows, columns: w.count / rows,
                                             inputGram: grams[layer][projection], damping: Self.calibrationDamping)
                    }
                    quantized.append(TransformerKernels.PackedMatrix(codes))
                } catch {
                    throw .mismatch("8-bit weights of layer \(layer), projection \(projection): \(error)")
                }
            }
            blocks[layer].qkvWeight = quantized[0]
            blocks[layer].outputWeight = quantized[1]
            blocks[layer].intermediateWeight = quantized[2]
            blocks[layer].ffnOutputWeight = quantized[3]
        }
    }
}
