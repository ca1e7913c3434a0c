import ArgumentParser
import Foundation
import GantryEmbed
import GantryEval
import GantryIO
import GantryMath

/// `gantry embed`: texts of a JSONL file → a float32 `.npy` of unit-length MiniLM vectors.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed the texts of a JSONL file with all-MiniLM-L6-v2 into an .npy matrix (row i = line i).",
        discussion: """
            Each non-empty line is a JSON object; the text is its --field (default "text"), or \
            --template with {key} placeholders, e.g. --template "{name}: {description}" for the tool \
            text of the shared datasets. The model is read from --model, GANTRY_MODEL_DIR or the cache \
            that scripts/bootstrap fills.
            """)

    @Option(help: "JSONL file, one object per line (queries.jsonl, tools.jsonl).") var input: String
    @Option(help: "The string field to embed.") var field = "text"
    @Option(help: "A text template over the object's fields, e.g. \"{name}: {description}\" (overrides --field).")
    var template: String?
    @Flag(help: "Each line is a tool (name, description, parameters): embed the text AgentGantry embeds for it.")
    var toolText = false
    @Option(help: "Float32 .npy file to write (atomically).") var output: String
    @Option(help: "Texts per forward pass.") var batch = 32
    @Option(help: "OpenBLAS threads (default: OpenBLAS's own choice).") var threads: Int?
    @Option(help: "Model folder (default: GANTRY_MODEL_DIR, then the bootstrap cache).") var model: String?

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let source: TextSource = toolText ? .toolText : template.map { .template($0) } ?? .field(field)
        let texts = try source.texts(of: input)
        if let threads { try BLAS.setThreadCount(threads) }
        let clock = ContinuousClock()
        let loadStart = clock.now
        let encoder = try MiniLMEncoder(directory: model, batchSize: batch)
        let loaded = clock.now - loadStart
        let tokenCounts = texts.map { encoder.tokenize($0).count }
        let bar = ProgressBar(total: texts.count, label: "embedding")
        let start = clock.now
        let vectors = try encoder.embed(texts) { bar.update($0) }
        let elapsed = max((clock.now - start).seconds, 1e-9)
        try NPYFile.write(vectors, to: output)
        let tokens = tokenCounts.reduce(0, +)
        print("\(texts.count) texts (\(tokens) tokens) → \(output) [\(vectors.rows) × \(vectors.cols) float32]")
        print(String(format: "model load %.2f s; %.2f s embedding: %.1f texts/s, %.0f tokens/s, %.1f GFLOP/s (batch %d)",
                     (loaded).seconds, elapsed, Double(texts.count) / elapsed, Double(tokens) / elapsed,
                     MiniLMEncoder.flops(tokenCounts: tokenCounts) / elapsed / 1e9, batch))
    }
}
