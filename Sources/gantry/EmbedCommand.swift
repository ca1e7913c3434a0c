import ArgumentParser
import Foundation
import GantryEval

/// `gantry embed`: texts of a JSONL file → a float32 `.npy` of unit-length MiniLM vectors
/// (`EmbeddingJob`).
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed the texts of a JSONL file with all-MiniLM-L6-v2 into an .npy matrix (row i = the i-th non-empty line).",
        discussion: """
            Each non-empty line is a JSON object; the text is its --field (default "text"), or \
            --template with {key} placeholders, e.g. --template "{name}: {description}" for the tool \
            text of the shared datasets. A text that is empty or blank, holds NUL or exceeds 256 KiB \
            stops the run, naming its line. The model is read from --model, GANTRY_MODEL_DIR or the \
            cache that scripts/bootstrap fills.
            """)

    @Option(help: "JSONL file, one object per line (queries.jsonl, tools.jsonl).") var input: String
    @Option(help: "The string field to embed.") var field = "text"
    @Option(help: "A text template over the object's fields, e.g. \"{name}: {description}\" (overrides --field).")
    var template: String?
    @Flag(help: "Each line is a tool (name, description, parameters): embed the text AgentGantry embeds for it.")
    var toolText = false
    @Option(help: "Float32 .npy file to write (atomically).") var output: String
    @Option(parsing: .unconditional, help: "Texts per forward pass.") var batch = 32
    @Option(parsing: .unconditional, help: "OpenBLAS threads (default: OpenBLAS's own choice).") var threads: Int?
    @Option(help: "Model folder (default: GANTRY_MODEL_DIR, then the bootstrap cache).") var model: String?

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let source: TextSource = toolText ? .toolText : template.map { .template($0) } ?? .field(field)
        let job = EmbeddingJob(input: input, source: source, output: output, batchSize: batch, threads: threads, modelDirectory: model)
        var bar: ProgressBar?
        let report = try job.run { done, total in
            if bar == nil { bar = ProgressBar(total: total, label: "embedding") }
            if done > 0 { bar?.update(done) }
        }
        print("\(report.texts) texts (\(report.tokens) tokens) → \(output) [\(report.texts) × \(report.dimension) float32]")
        print(String(format: "model load %.2f s; %.2f s embedding: %.1f texts/s, %.0f tokens/s, %.1f GFLOP/s (batch %d)",
                     report.loadSeconds, report.embedSeconds, report.textsPerSecond, report.tokensPerSecond, report.gflopsPerSecond, batch))
    }
}
