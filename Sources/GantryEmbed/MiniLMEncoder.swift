import Dispatch
import GantryMath

/// all-MiniLM-L6-v2 (a 6-layer BERT, hidden 384, 12 heads, FFN 1536) run natively on OpenBLAS:
/// WordPiece ids → embeddings + LayerNorm → 6 × (self-attention, FFN with erf GELU, each with a
/// residual and LayerNorm, eps 1e-12) → mean over the tokens → L2 normalisation. Produces the
/// vectors sentence-transformers gives for this model (Reimers & Gurevych 2019; Wang et al.,
/// "MiniLM", 2020).
///
/// Layout of a forward pass: the texts of a batch are sorted by length and their tokens packed
/// one after another without padding (`T` rows in all), so each projection is one sgemm over
/// `T × 384` activations (query, key and value fused into one `1152 × 384` weight); attention
/// runs per sequence on its own rows. Weights stay in the memory-mapped safetensors file, except
/// the fused QKV copy. The encoder is immutable: any number of threads may call `embed`.
public final class MiniLMEncoder: Embedder, @unchecked Sendable {
    public let dimension = 384
    public let modelIdentity: String
    /// Texts per forward pass.
    public let batchSize: Int
    public let tokenizer: WordPieceTokenizer
    /// Texts longer than this (in characters) are refused before tokenisation.
    public static let maxTextCharacters = 100_000

    static let hiddenSize = 384, layers = 6, heads = 12, headDimension = 32, intermediate = 1536, vocabularySize = 30522, positions = 512
    static let epsilon: Float = 1e-12

    /// Keeps the mapping alive: the embedding and layer tensors below point into it.
    private let file: SafeTensors
    private let wordEmbeddings, positionEmbeddings, tokenTypeEmbeddings, embeddingGamma, embeddingBeta: UnsafeBufferPointer<Float>
    private let blocks: [Block]

    /// One encoder layer's parameters: fused QKV owned here, the rest views into the file.
    struct Block {
        let qkvWeight: [Float]  // 1152 × 384: query, key, value rows stacked
        let qkvBias: [Float]  // 1152
        let outputWeight, outputBias, attentionGamma, attentionBeta: UnsafeBufferPointer<Float>
        let intermediateWeight, intermediateBias, ffnOutputWeight, ffnOutputBias, outputGamma, outputBeta: UnsafeBufferPointer<Float>
    }

    /// Loads the model from `directory` (default: `ModelLocator.locate()`); `batchSize` texts are
    /// encoded per forward pass.
    public init(directory: String? = nil, batchSize: Int = 32) throws(EmbedError) {
        let folder = try ModelLocator.locate(directory)
        guard batchSize >= 1 else { throw .mismatch("batchSize must be at least 1") }
        self.batchSize = batchSize
        tokenizer = try WordPieceTokenizer(vocabularyFile: folder + "/vocab.txt", maxLength: 256)
        let weights = try SafeTensors(path: folder + "/model.safetensors")
        let d = Self.hiddenSize
        wordEmbeddings = try weights.floats("embeddings.word_embeddings.weight", shape: [Self.vocabularySize, d])
        positionEmbeddings = try weights.floats("embeddings.position_embeddings.weight", shape: [Self.positions, d])
        tokenTypeEmbeddings = try weights.floats("embeddings.token_type_embeddings.weight", shape: [2, d])
        embeddingGamma = try weights.floats("embeddings.LayerNorm.weight", shape: [d])
        embeddingBeta = try weights.floats("embeddings.LayerNorm.bias", shape: [d])
        guard tokenizer.vocabulary.count == Self.vocabularySize else {
            throw .mismatch("vocab.txt has \(tokenizer.vocabulary.count) tokens, the model \(Self.vocabularySize)")
        }
        var blocks = [Block]()
        for layer in 0..<Self.layers {
            let prefix = "encoder.layer.\(layer)."
            func tensor(_ name: String, _ shape: [Int]) throws(EmbedError) -> UnsafeBufferPointer<Float> {
                try weights.floats(prefix + name, shape: shape)
            }
            var qkvWeight = [Float](), qkvBias = [Float]()
            for part in ["query", "key", "value"] {
                qkvWeight += try tensor("attention.self.\(part).weight", [d, d])
                qkvBias += try tensor("attention.self.\(part).bias", [d])
            }
            blocks.append(Block(
                qkvWeight: qkvWeight, qkvBias: qkvBias,
                outputWeight: try tensor("attention.output.dense.weight", [d, d]),
                outputBias: try tensor("attention.output.dense.bias", [d]),
                attentionGamma: try tensor("attention.output.LayerNorm.weight", [d]),
                attentionBeta: try tensor("attention.output.LayerNorm.bias", [d]),
                intermediateWeight: try tensor("intermediate.dense.weight", [Self.intermediate, d]),
                intermediateBias: try tensor("intermediate.dense.bias", [Self.intermediate]),
                ffnOutputWeight: try tensor("output.dense.weight", [d, Self.intermediate]),
                ffnOutputBias: try tensor("output.dense.bias", [d]),
                outputGamma: try tensor("output.LayerNorm.weight", [d]),
                outputBeta: try tensor("output.LayerNorm.bias", [d])))
        }
        self.blocks = blocks
        file = weights
        modelIdentity = "sentence-transformers/all-MiniLM-L6-v2@" + String(weights.checksum, radix: 16)
    }

    /// Unit-length embeddings, one row per text. Texts are grouped by token count so that a
    /// batch packs sequences of similar length.
    public func embed(_ texts: [String]) throws -> Matrix {
        try embed(texts, progress: nil)
    }

    /// `embed(_:)`, calling `progress` with the number of texts done after every batch.
    public func embed(_ texts: [String], progress: ((Int) -> Void)?) throws -> Matrix {
        for (index, text) in texts.enumerated() where text.utf8.count > Self.maxTextCharacters {
            let characters = text.count
            if characters > Self.maxTextCharacters {
                throw EmbedError.textTooLong(index: index, characters: characters, limit: Self.maxTextCharacters)
            }
        }
        let tokenized = texts.map(tokenizer.encode)
        let order = tokenized.indices.sorted { tokenized[$0].count < tokenized[$1].count }
        var output = Matrix(rows: texts.count, cols: dimension)
        var start = 0
        while start < order.count {
            let batch = Array(order[start..<min(start + batchSize, order.count)])
            let vectors = try forward(batch.map { tokenized[$0] })
            for (row, original) in batch.enumerated() { try output.setRow(original, to: vectors.row(row)) }
            start += batchSize
            progress?(min(start, order.count))
        }
        return output
    }

    /// Floating-point operations of a forward pass over sequences of these token counts: per
    /// token and layer the four projections (2 · 384 · (1152 + 384 + 2 · 1536) ≈ 3.54 M), per
    /// sequence and layer the attention products (4 · L² · 384). About 21 MFLOP per token.
    public static func flops(tokenCounts: [Int]) -> Double {
        let d = Double(hiddenSize)
        let perToken = 2 * d * (3 * d + d + 2 * Double(intermediate))
        return Double(layers) * tokenCounts.reduce(0) { $0 + perToken * Double($1) + 4 * Double($1 * $1) * d }
    }

    /// Token ids of `text` as the model sees them (`[CLS] … [SEP]`, at most 256).
    public func tokenize(_ text: String) -> [Int32] { tokenizer.encode(text) }

    /// The forward pass for one batch of token sequences; returns one normalised row each.
    func forward(_ sequences: [[Int32]]) throws -> Matrix {
        let d = dimension
        let total = sequences.reduce(0) { $0 + $1.count }
        var offsets = [0]
        for sequence in sequences { offsets.append(offsets.last! + sequence.count) }

        // Embeddings: word + position + token type 0, then LayerNorm.
        var x = Matrix(rows: total, cols: d)
        x.withUnsafeMutableBufferPointer { rows in
            for (s, sequence) in sequences.enumerated() {
                for (position, id) in sequence.enumerated() {
                    let row = UnsafeMutableBufferPointer(rebasing: rows[(offsets[s] + position) * d..<(offsets[s] + position + 1) * d])
                    let word = UnsafeBufferPointer(rebasing: wordEmbeddings[Int(id) * d..<(Int(id) + 1) * d])
                    let place = UnsafeBufferPointer(rebasing: positionEmbeddings[position * d..<(position + 1) * d])
                    TransformerKernels.addBias(place, to: word, into: row)
                    TransformerKernels.addBias(UnsafeBufferPointer(rebasing: tokenTypeEmbeddings[0..<d]), to: UnsafeBufferPointer(row), into: row)
                }
            }
            TransformerKernels.layerNorm(rows, dimension: d, gamma: embeddingGamma, beta: embeddingBeta, epsilon: Self.epsilon)
        }

        var qkv = Matrix(rows: total, cols: 3 * d)
        var context = Matrix(rows: total, cols: d)
        var hidden = Matrix(rows: total, cols: d)
        var ffn = Matrix(rows: total, cols: Self.intermediate)
        let longest = sequences.map(\.count).max() ?? 0
        var scratch = [Float](repeating: 0, count: max(longest, 1))
        for block in blocks {
            // Self-attention: qkv = x·Wqkvᵀ + b, then per sequence.
            block.qkvBias.withUnsafeBufferPointer { bias in
                qkv.withUnsafeMutableBufferPointer { TransformerKernels.addBias(bias, to: nil, into: $0) }
            }
            try block.qkvWeight.withUnsafeBufferPointer { (w) throws(MathError) in
                try Matrix.gemm(x, transposedRows: w, rows: 3 * d, beta: 1, into: &qkv)
            }
            qkv.withUnsafeBufferPointer { all in
                context.withUnsafeMutableBufferPointer { out in
                    scratch.withUnsafeMutableBufferPointer { p in
                        for s in sequences.indices {
                            let (begin, end) = (offsets[s], offsets[s + 1])
                            TransformerKernels.attention(
                                UnsafeBufferPointer(rebasing: all[begin * 3 * d..<end * 3 * d]), length: end - begin,
                                heads: Self.heads, headDimension: Self.headDimension,
                                into: UnsafeMutableBufferPointer(rebasing: out[begin * d..<end * d]), scratch: p)
                        }
                    }
                }
            }
            // hidden = LayerNorm(x + context·Woᵀ + bo)
            x.withUnsafeBufferPointer { base in
                hidden.withUnsafeMutableBufferPointer { TransformerKernels.addBias(block.outputBias, to: base, into: $0) }
            }
            try Matrix.gemm(context, transposedRows: block.outputWeight, rows: d, beta: 1, into: &hidden)
            hidden.withUnsafeMutableBufferPointer {
                TransformerKernels.layerNorm($0, dimension: d, gamma: block.attentionGamma, beta: block.attentionBeta, epsilon: Self.epsilon)
            }
            // x = LayerNorm(hidden + GELU(hidden·W1ᵀ + b1)·W2ᵀ + b2)
            ffn.withUnsafeMutableBufferPointer { TransformerKernels.addBias(block.intermediateBias, to: nil, into: $0) }
            try Matrix.gemm(hidden, transposedRows: block.intermediateWeight, rows: Self.intermediate, beta: 1, into: &ffn)
            ffn.withUnsafeMutableBufferPointer { TransformerKernels.gelu($0) }
            hidden.withUnsafeBufferPointer { base in
                x.withUnsafeMutableBufferPointer { TransformerKernels.addBias(block.ffnOutputBias, to: base, into: $0) }
            }
            try Matrix.gemm(ffn, transposedRows: block.ffnOutputWeight, rows: d, beta: 1, into: &x)
            x.withUnsafeMutableBufferPointer {
                TransformerKernels.layerNorm($0, dimension: d, gamma: block.outputGamma, beta: block.outputBeta, epsilon: Self.epsilon)
            }
        }

        // Mean over each sequence's tokens, then unit length.
        var pooled = Matrix(rows: sequences.count, cols: d)
        x.withUnsafeBufferPointer { rows in
            pooled.withUnsafeMutableBufferPointer { out in
                for s in sequences.indices {
                    let target = UnsafeMutableBufferPointer(rebasing: out[s * d..<(s + 1) * d])
                    for t in offsets[s]..<offsets[s + 1] {
                        for c in 0..<d { target[c] += rows[t * d + c] }
                    }
                    let norm = SIMDKernels.dot(UnsafeBufferPointer(target), UnsafeBufferPointer(target)).squareRoot()
                    if norm > 0 { SIMDKernels.scale(target, by: 1 / norm) }
                }
            }
        }
        return pooled
    }
}
