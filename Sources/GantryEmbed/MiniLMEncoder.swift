import Foundation
import GantryMath

/// all-MiniLM-L6-v2 (a 6-layer BERT, hidden 384, 12 heads, FFN 1536) run natively:
/// WordPiece ids → embeddings + LayerNorm → 6 × (self-attention, FFN with erf GELU, each with a
/// residual and LayerNorm, eps 1e-12) → mean over the tokens → L2 normalization. Produces the
/// vectors sentence-transformers gives for this model (Reimers & Gurevych 2019; Wang et al.,
/// "MiniLM", 2020).
///
/// Layout of a forward pass: the texts of a batch are sorted by length and their tokens packed
/// one after another without padding (`T` rows in all), so each projection is one matrix product
/// over `T × 384` activations (query, key and value fused into one 384 × 1152 matrix); attention
/// runs per sequence on its own rows. The products use `TransformerKernels.multiplyAdd` on
/// weights packed once at load (42.5 MB; 21 MB at bfloat16, 11 MB at 8 bits: `precision`) rather
/// than sgemm: OpenBLAS repacks its weight operand on every call, which was half the time of a
/// one-sentence batch. The mapped file stays mapped for the embedding table and the small vectors. The encoder is immutable: any number of
/// threads may call `embed`.
public final class MiniLMEncoder: Embedder, @unchecked Sendable {
    /// 384: the length of every vector this encoder returns.
    public let dimension = 384
    /// `sentence-transformers/all-MiniLM-L6-v2@` followed by the CRC-32C of `model.safetensors` in
    /// hexadecimal, so that other weights under the same name get another identity, and
    /// `+bf16` or `+int8-gptq` when `precision` is bfloat16 or 8-bit (codes fitted by GPTQ,
    /// `quantizeProjections`; the 8-bit vectors of earlier builds, rounded to the nearest code,
    /// were `+int8`): their vectors differ slightly
    /// from float weights', and a store refuses an identity other than the one it holds, naming
    /// both, so a fleet whose hosts chose differently cannot mix them silently.
    public let modelIdentity: String
    /// How the projection weights are stored (`TransformerKernels.WeightPrecision`).
    public let precision: TransformerKernels.WeightPrecision
    /// Texts per forward pass.
    public let batchSize: Int
    /// Threads for one forward pass: 1 runs it on the calling thread alone; more shares its
    /// products and attention with `WorkerPool.shared` (one worker per further core: the caller
    /// and the pool's workers take the shares, two per thread for a product), which falls back
    /// to the caller alone while its workers are preempted. nil follows `BLAS.threadCount`
    /// (OpenBLAS's setting, so one knob governs both) at every call.
    public let threads: Int?
    /// The tokenizer loaded from the model's `vocab.txt`, with `maxLength` 256 (`[CLS]`, at most 254
    /// word pieces, `[SEP]`), as sentence-transformers truncates for this model.
    public let tokenizer: WordPieceTokenizer
    /// Texts longer than this (UTF-8 bytes) are refused before tokenisation, which it bounds; it is
    /// above the longest text a tool registered with AgentGantry can have (about 117 KiB).
    public static let maxTextBytes = 256 << 10

    static let hiddenSize = 384, layers = 6, heads = 12, headDimension = 32, intermediate = 1536, vocabularySize = 30522, positions = 512
    static let epsilon: Float = 1e-12

    /// Keeps the mapping alive: `wordEmbeddings` points into it.
    private let file: SafeTensors
    private let wordEmbeddings: UnsafeBufferPointer<Float>
    /// Owns the small tensors below (copied out of the mapping at load).
    private let arena: Arena
    /// Position embeddings with token type 0 added (512 × 384), and the embedding LayerNorm.
    private let positionEmbeddings, embeddingGamma, embeddingBeta: UnsafeBufferPointer<Float>
    /// The layers; set once, in `init` (at 8 bits after a calibration pass at float weights:
    /// `quantizeProjections`).
    var blocks: [Block]

    /// One encoder layer's parameters. The four projection matrices are kept transposed (input ×
    /// output, row-major) in memory of their own, the layout `TransformerKernels.multiplyAdd`
    /// streams without packing; query, key and value are fused into one 384 × 1152 matrix.
    struct Block {
        var qkvWeight: TransformerKernels.PackedMatrix  // 384 × 1152: [query | key | value] columns
        let qkvBias: [Float]  // 1152
        var outputWeight: TransformerKernels.PackedMatrix  // 384 × 384
        var intermediateWeight: TransformerKernels.PackedMatrix  // 384 × 1536
        var ffnOutputWeight: TransformerKernels.PackedMatrix  // 1536 × 384
        let outputBias, attentionGamma, attentionBeta, intermediateBias, ffnOutputBias, outputGamma, outputBeta: UnsafeBufferPointer<Float>
    }

    /// `weight` (rows × cols, as PyTorch stores a Linear layer: output × input) transposed into
    /// `target` at column offset `offset` of a `width`-wide row-major matrix.
    static func transpose(_ weight: UnsafeBufferPointer<Float>, rows: Int, cols: Int, into target: inout [Float], width: Int, offset: Int) {
        target.withUnsafeMutableBufferPointer { out in
            for r in 0..<rows {
                for c in 0..<cols { out[c * width + offset + r] = weight[r * cols + c] }
            }
        }
    }

    /// Loads the model from `directory` (default: `ModelLocator.locate()`); `batchSize` texts are
    /// encoded per forward pass; the projection weights stored at `precision` (default:
    /// `defaultPrecision()`).
    public init(directory: String? = nil, batchSize: Int = 32, threads: Int? = nil,
                precision wanted: TransformerKernels.WeightPrecision? = nil) throws(EmbedError) {
        let folder = try ModelLocator.locate(directory)
        guard batchSize >= 1 else { throw .mismatch("batchSize must be at least 1") }
        guard threads.map({ $0 >= 1 }) ?? true else { throw .mismatch("threads must be at least 1") }
        let precision: TransformerKernels.WeightPrecision
        if let wanted { precision = wanted } else { precision = try Self.defaultPrecision() }
        self.batchSize = batchSize
        self.threads = threads
        self.precision = precision
        tokenizer = try WordPieceTokenizer(vocabularyFile: folder + "/vocab.txt", maxLength: 256)
        let weights = try SafeTensors(path: folder + "/model.safetensors")
        let d = Self.hiddenSize
        // Only the embedding table is read from the mapping after loading, a row per token;
        // everything else is copied out or packed.
        wordEmbeddings = try weights.floats("embeddings.word_embeddings.weight", shape: [Self.vocabularySize, d])
        let arena = Arena(capacity: (Self.positions + 2 + Self.layers * 6) * d + Self.layers * Self.intermediate)
        let positions = arena.copy(try weights.floats("embeddings.position_embeddings.weight", shape: [Self.positions, d]))
        let tokenType = try weights.floats("embeddings.token_type_embeddings.weight", shape: [2, d])
        for row in 0..<Self.positions {
            let slice = UnsafeMutableBufferPointer(mutating: UnsafeBufferPointer(rebasing: positions[row * d..<(row + 1) * d]))
            TransformerKernels.addBias(UnsafeBufferPointer(rebasing: tokenType[0..<d]), to: UnsafeBufferPointer(slice), into: slice)
        }
        positionEmbeddings = positions
        embeddingGamma = arena.copy(try weights.floats("embeddings.LayerNorm.weight", shape: [d]))
        embeddingBeta = arena.copy(try weights.floats("embeddings.LayerNorm.bias", shape: [d]))
        self.arena = arena
        guard tokenizer.vocabulary.count == Self.vocabularySize else {
            throw .mismatch("vocab.txt has \(tokenizer.vocabulary.count) tokens, the model \(Self.vocabularySize)")
        }
        var blocks = [Block](), unpacked = [[Float]]()
        for layer in 0..<Self.layers {
            let prefix = "encoder.layer.\(layer)."
            func tensor(_ name: String, _ shape: [Int]) throws(EmbedError) -> UnsafeBufferPointer<Float> {
                try weights.floats(prefix + name, shape: shape)
            }
            func owned(_ name: String, _ shape: [Int]) throws(EmbedError) -> UnsafeBufferPointer<Float> {
                arena.copy(try tensor(name, shape))
            }
            // The four projections transposed (input × output); at 8 bits they are packed as
            // floats for the calibration pass and kept for the quantisation after it.
            func packed(_ w: [Float], rows: Int, columns: Int) -> TransformerKernels.PackedMatrix {
                if precision == .int8 { unpacked.append(w) }
                return w.withUnsafeBufferPointer {
                    TransformerKernels.PackedMatrix($0, rows: rows, columns: columns, precision: precision == .int8 ? .float32 : precision)
                }
            }
            func transposed(_ name: String, rows: Int, cols: Int) throws(EmbedError) -> [Float] {
                var out = [Float](repeating: 0, count: rows * cols)
                Self.transpose(try tensor(name, [rows, cols]), rows: rows, cols: cols, into: &out, width: rows, offset: 0)
                return out
            }
            var qkvWeight = [Float](repeating: 0, count: d * 3 * d), qkvBias = [Float]()
            for (part, name) in ["query", "key", "value"].enumerated() {
                Self.transpose(try tensor("attention.self.\(name).weight", [d, d]), rows: d, cols: d, into: &qkvWeight, width: 3 * d, offset: part * d)
                qkvBias += try tensor("attention.self.\(name).bias", [d])
            }
            blocks.append(Block(
                qkvWeight: packed(qkvWeight, rows: d, columns: 3 * d),
                qkvBias: qkvBias,
                outputWeight: packed(try transposed("attention.output.dense.weight", rows: d, cols: d), rows: d, columns: d),
                intermediateWeight: packed(try transposed("intermediate.dense.weight", rows: Self.intermediate, cols: d),
                                           rows: d, columns: Self.intermediate),
                ffnOutputWeight: packed(try transposed("output.dense.weight", rows: d, cols: Self.intermediate),
                                        rows: Self.intermediate, columns: d),
                outputBias: try owned("attention.output.dense.bias", [d]),
                attentionGamma: try owned("attention.output.LayerNorm.weight", [d]),
                attentionBeta: try owned("attention.output.LayerNorm.bias", [d]),
                intermediateBias: try owned("intermediate.dense.bias", [Self.intermediate]),
                ffnOutputBias: try owned("output.dense.bias", [d]),
                outputGamma: try owned("output.LayerNorm.weight", [d]),
                outputBeta: try owned("output.LayerNorm.bias", [d])))
            // This layer's matrices now live packed; the mapped originals need not stay resident
            // (only the embedding rows of the tokens seen and the small vectors are read later).
            weights.releaseResidentPages()
        }
        self.blocks = blocks
        file = weights
        modelIdentity = Self.identityPrefix + String(weights.checksum, radix: 16) + Self.identitySuffix(of: precision)
        if precision == .int8 { try quantizeProjections(unpacked) }
    }

    /// The precision `GANTRY_ENCODER_PRECISION` names (`fp32`, `bf16`, `int8`, or `auto`); unset,
    /// `automaticPrecision`. A gantry opened on a store whose tools were embedded at another
    /// precision keeps theirs unless the variable is set (`precision(ofIdentity:)`).
    public static func defaultPrecision() throws(EmbedError) -> TransformerKernels.WeightPrecision {
        try requestedPrecision() ?? automaticPrecision
    }

    /// The default where nothing is asked for: bf16 where the CPU runs it on AMX tiles
    /// (`TransformerKernels.tileProductsAvailable`: 2.0–2.9× fp32 on Sapphire/Emerald Rapids),
    /// else fp32 — `vdpbf16ps` alone is faster than fp32 only where the CPU's float multiply-adds
    /// are the narrower (one 512-bit unit: 1.6×; with two, 0.7×). Never int8, whose cosine to
    /// the float vectors is at the gate rather than clear of it. bf16 passes the gate a default
    /// must pass (README, "Encoder precision").
    public static var automaticPrecision: TransformerKernels.WeightPrecision {
        TransformerKernels.tileProductsAvailable ? .bfloat16 : .float32
    }

    /// The precision `GANTRY_ENCODER_PRECISION` asks for (`auto`: `automaticPrecision`); nil when
    /// it is unset or empty. Throws `EmbedError.mismatch` for another name.
    public static func requestedPrecision() throws(EmbedError) -> TransformerKernels.WeightPrecision? {
        guard let name = ProcessInfo.processInfo.environment["GANTRY_ENCODER_PRECISION"], !name.isEmpty else { return nil }
        if name == "auto" { return automaticPrecision }
        guard let precision = TransformerKernels.WeightPrecision(rawValue: name) else {
            let names = TransformerKernels.WeightPrecision.allCases.map(\.rawValue) + ["auto"]
            throw .mismatch("GANTRY_ENCODER_PRECISION is \"\(name)\"; use one of \(names.joined(separator: ", "))")
        }
        return precision
    }

    /// The precision whose vectors `identity` names, when it is an identity this encoder gives
    /// (`modelIdentity`, of any weights' checksum); nil for another model's. The 8-bit vectors of
    /// earlier builds (`+int8`, rounded codes) answer `.int8`: the same choice, at today's codes.
    public static func precision(ofIdentity identity: String) -> TransformerKernels.WeightPrecision? {
        guard identity.hasPrefix(identityPrefix) else { return nil }
        let rest = identity.dropFirst(identityPrefix.count)
        guard let plus = rest.firstIndex(of: "+") else { return rest.isEmpty ? nil : .float32 }
        let suffix = String(rest[plus...])
        if suffix == "+int8" { return .int8 }
        return TransformerKernels.WeightPrecision.allCases.first { $0 != .float32 && identitySuffix(of: $0) == suffix }
    }

    /// What every identity of this encoder starts with; the weights' checksum follows.
    static let identityPrefix = "sentence-transformers/all-MiniLM-L6-v2@"

    /// What follows the checksum in the identity of vectors at `precision`.
    static func identitySuffix(of precision: TransformerKernels.WeightPrecision) -> String {
        switch precision {
        case .float32: ""
        case .bfloat16: "+bf16"
        case .int8: "+int8-gptq"
        }
    }

    /// Unit-length embeddings, one row per text. Texts are grouped by token count so that a
    /// batch packs sequences of similar length.
    public func embed(_ texts: [String]) throws -> Matrix {
        try embed(texts, progress: nil)
    }

    /// `embed(_:)`, calling `progress` with the number of texts done after every batch.
    public func embed(_ texts: [String], progress: ((Int) -> Void)?) throws -> Matrix {
        for (index, text) in texts.enumerated() where text.utf8.count > Self.maxTextBytes {
            throw EmbedError.textTooLong(index: index, bytes: text.utf8.count, limit: Self.maxTextBytes)
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

    /// `output += input · weight` (weight input-width × output-width, transposed at load).
    private func project(_ input: Matrix, _ weight: TransformerKernels.PackedMatrix, into output: inout Matrix, threads: Int) {
        let rows = input.rows
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { TransformerKernels.multiplyAdd(x, rows: rows, weight, into: $0, threads: threads) }
        }
    }

    /// `body(rows)` for shares of `0..<rows`, on the worker pool when there are at least two
    /// shares' worth (`TransformerKernels.rowsPerShare`) and more than one thread, else at once
    /// on this thread.
    private static func eachShare(ofRows rows: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        let parts = min(threads, rows / TransformerKernels.rowsPerShare)
        guard parts > 1 else { return body(0..<rows) }
        WorkerPool.shared.run(sharing: rows, parts: parts) { share, _ in body(share) }
    }

    /// Rows `range` of a buffer of `width`-float rows.
    private static func rows(_ range: Range<Int>, of buffer: UnsafeMutableBufferPointer<Float>, width: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: buffer[range.lowerBound * width..<range.upperBound * width])
    }

    private static func rows(_ range: Range<Int>, of buffer: UnsafeBufferPointer<Float>, width: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(rebasing: buffer[range.lowerBound * width..<range.upperBound * width])
    }

    /// The forward pass for one batch of token sequences; returns one normalized row each.
    /// `observing` is shown the input of each projection before it runs: the layer, the
    /// projection (0 query-key-value, 1 attention output, 2 FFN in, 3 FFN out) and its rows.
    func forward(_ sequences: [[Int32]], observing: ((_ layer: Int, _ projection: Int, _ input: Matrix) throws -> Void)? = nil) throws -> Matrix {
        let d = dimension
        // Handing a share of a product to a worker of the pool that is awake costs well under a
        // microsecond, so even one short query's products are shared (EncoderCompare, batch 1).
        let total = sequences.reduce(0) { $0 + $1.count }
        let threads = max(1, self.threads ?? BLAS.threadCount ?? 1)
        let offsets = sequences.reduce(into: [0]) { $0.append($0.last! + $1.count) }

        // Embeddings: word + (position + token type 0), then LayerNorm.
        var x = Matrix(rows: total, cols: d)
        x.withUnsafeMutableBufferPointer { rows in
            for (s, sequence) in sequences.enumerated() {
                for (position, id) in sequence.enumerated() {
                    let row = UnsafeMutableBufferPointer(rebasing: rows[(offsets[s] + position) * d..<(offsets[s] + position + 1) * d])
                    let word = UnsafeBufferPointer(rebasing: wordEmbeddings[Int(id) * d..<(Int(id) + 1) * d])
                    let place = UnsafeBufferPointer(rebasing: positionEmbeddings[position * d..<(position + 1) * d])
                    TransformerKernels.addBias(place, to: word, into: row)
                }
            }
            TransformerKernels.layerNorm(rows, dimension: d, gamma: embeddingGamma, beta: embeddingBeta, epsilon: Self.epsilon)
        }

        var qkv = Matrix(rows: total, cols: 3 * d)
        var context = Matrix(rows: total, cols: d)
        var hidden = Matrix(rows: total, cols: d)
        var ffn = Matrix(rows: total, cols: Self.intermediate)
        let longest = sequences.map(\.count).max() ?? 0
        // Attention runs as a section of the worker pool, a part per head (of every sequence), with
        // scratch for each of the pool's lanes.
        let scratchCount = TransformerKernels.attentionScratchCount(length: longest, headDimension: Self.headDimension)
        let lanes = threads == 1 ? 1 : WorkerPool.shared.lanes
        var scratch = [Float](repeating: 0, count: lanes * scratchCount)
        for (layer, block) in blocks.enumerated() {
            // Self-attention: qkv = x·Wqkvᵀ + b, then per sequence.
            qkv.withUnsafeMutableBufferPointer { out in
                Self.eachShare(ofRows: total, threads: threads) { r in
                    block.qkvBias.withUnsafeBufferPointer { TransformerKernels.addBias($0, to: nil, into: Self.rows(r, of: out, width: 3 * d)) }
                }
            }
            try observing?(layer, 0, x)
            project(x, block.qkvWeight, into: &qkv, threads: threads)
            qkv.withUnsafeBufferPointer { all in
                context.withUnsafeMutableBufferPointer { out in
                    scratch.withUnsafeMutableBufferPointer { p in
                        let parts = threads == 1 ? 1 : Self.heads
                        WorkerPool.shared.run(sharing: Self.heads, parts: parts) { heads, lane in
                            let scratch = UnsafeMutableBufferPointer(rebasing: p[lane * scratchCount..<(lane + 1) * scratchCount])
                            for s in sequences.indices {
                                let (begin, end) = (offsets[s], offsets[s + 1])
                                TransformerKernels.attention(
                                    UnsafeBufferPointer(rebasing: all[begin * 3 * d..<end * 3 * d]), length: end - begin,
                                    heads: Self.heads, headDimension: Self.headDimension, headRange: heads,
                                    into: UnsafeMutableBufferPointer(rebasing: out[begin * d..<end * d]), scratch: scratch)
                            }
                        }
                    }
                }
            }
            // hidden = LayerNorm(x + context·Woᵀ + bo)
            x.withUnsafeBufferPointer { base in
                hidden.withUnsafeMutableBufferPointer { out in
                    Self.eachShare(ofRows: total, threads: threads) { r in
                        TransformerKernels.addBias(block.outputBias, to: Self.rows(r, of: base, width: d), into: Self.rows(r, of: out, width: d))
                    }
                }
            }
            try observing?(layer, 1, context)
            project(context, block.outputWeight, into: &hidden, threads: threads)
            hidden.withUnsafeMutableBufferPointer { all in
                Self.eachShare(ofRows: total, threads: threads) { r in
                    TransformerKernels.layerNorm(Self.rows(r, of: all, width: d), dimension: d, gamma: block.attentionGamma,
                                                 beta: block.attentionBeta, epsilon: Self.epsilon)
                }
            }
            // x = LayerNorm(hidden + GELU(hidden·W1ᵀ + b1)·W2ᵀ + b2)
            ffn.withUnsafeMutableBufferPointer { out in
                Self.eachShare(ofRows: total, threads: threads) { r in
                    TransformerKernels.addBias(block.intermediateBias, to: nil, into: Self.rows(r, of: out, width: Self.intermediate))
                }
            }
            try observing?(layer, 2, hidden)
            project(hidden, block.intermediateWeight, into: &ffn, threads: threads)
            ffn.withUnsafeMutableBufferPointer { all in
                Self.eachShare(ofRows: total, threads: threads) { r in TransformerKernels.gelu(Self.rows(r, of: all, width: Self.intermediate)) }
            }
            hidden.withUnsafeBufferPointer { base in
                x.withUnsafeMutableBufferPointer { out in
                    Self.eachShare(ofRows: total, threads: threads) { r in
                        TransformerKernels.addBias(block.ffnOutputBias, to: Self.rows(r, of: base, width: d), into: Self.rows(r, of: out, width: d))
                    }
                }
            }
            try observing?(layer, 3, ffn)
            project(ffn, block.ffnOutputWeight, into: &x, threads: threads)
            x.withUnsafeMutableBufferPointer { all in
                Self.eachShare(ofRows: total, threads: threads) { r in
                    TransformerKernels.layerNorm(Self.rows(r, of: all, width: d), dimension: d, gamma: block.outputGamma,
                                                 beta: block.outputBeta, epsilon: Self.epsilon)
                }
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
                    _ = SIMDKernels.normalize(target)  // false only for an all-zero row, kept as it is
                }
            }
        }
        return pooled
    }
}
