import GantryEmbed
import GantryIO
import GantryMath

/// What `gantry embed` runs: the texts of a JSONL file → unit-length MiniLM vectors in a float32
/// `.npy` file (row i = text i), with the throughput of the forward passes.
public struct EmbeddingJob: Sendable {
    /// What a run embedded and how fast.
    public struct Report: Sendable {
        /// Texts embedded (rows written).
        public var texts: Int
        /// Their tokens, as the model sees them (`[CLS]` and `[SEP]` included).
        public var tokens: Int
        /// The length of each vector.
        public var dimension: Int
        /// Loading the encoder.
        public var loadSeconds: Double
        /// The forward passes (loading and writing excluded).
        public var embedSeconds: Double
        /// Floating-point operations of the forward passes (`MiniLMEncoder.flops`).
        public var flops: Double

        /// Texts per second of embedding.
        public var textsPerSecond: Double { Double(texts) / embedSeconds }
        /// Tokens per second of embedding.
        public var tokensPerSecond: Double { Double(tokens) / embedSeconds }
        /// GFLOP/s of the forward passes.
        public var gflopsPerSecond: Double { flops / embedSeconds / 1e9 }
    }

    /// The JSONL file, one object per line.
    public var input: String
    /// Which text of each line to embed.
    public var source: TextSource
    /// The float32 `.npy` file to write (atomically).
    public var output: String
    /// Texts per forward pass.
    public var batchSize: Int
    /// OpenBLAS threads (nil: OpenBLAS's own choice).
    public var threads: Int?
    /// The model folder (nil: `GANTRY_MODEL_DIR`, then the bootstrap cache).
    public var modelDirectory: String?

    /// A job as `gantry embed` describes it; nothing is read until `run(progress:)`.
    public init(input: String, source: TextSource = .field("text"), output: String, batchSize: Int = 32,
                threads: Int? = nil, modelDirectory: String? = nil) {
        self.input = input
        self.source = source
        self.output = output
        self.batchSize = batchSize
        self.threads = threads
        self.modelDirectory = modelDirectory
    }

    /// Reads the texts, loads the encoder, embeds and writes the vectors. `progress` gets the
    /// texts done and the total: `(0, total)` as embedding starts, then after every batch. Errors name the file and line
    /// (`EvalError`), the missing model file (`EmbedError`) or the BLAS problem (`MathError`).
    public func run(progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> Report {
        let texts = try source.texts(of: input)
        if let threads { try BLAS.setThreadCount(threads) }
        let clock = ContinuousClock()
        let loadStart = clock.now
        let encoder = try MiniLMEncoder(directory: modelDirectory, batchSize: batchSize)
        let loaded = clock.now - loadStart
        let tokenCounts = texts.map { encoder.tokenize($0).count }
        progress?(0, texts.count)
        let start = clock.now
        let vectors = try encoder.embed(texts) { progress?($0, texts.count) }
        let elapsed = max((clock.now - start).seconds, 1e-9)
        try NPYFile.write(vectors, to: output)
        return Report(texts: texts.count, tokens: tokenCounts.reduce(0, +), dimension: vectors.cols, loadSeconds: loaded.seconds,
                      embedSeconds: elapsed, flops: MiniLMEncoder.flops(tokenCounts: tokenCounts))
    }
}
