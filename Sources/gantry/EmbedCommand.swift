import ArgumentParser
import Foundation
import AgentGantry
import GantryEmbed
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
        let texts = try readTexts()
        if let threads { try BLAS.setThreadCount(threads) }
        let clock = ContinuousClock()
        let loadStart = clock.now
        let encoder = try MiniLMEncoder(directory: model, batchSize: batch)
        let loaded = clock.now - loadStart
        let tokenCounts = texts.map { encoder.tokenize($0).count }
        let bar = ProgressBar(total: texts.count, label: "embedding")
        let start = clock.now
        let vectors = try encoder.embed(texts) { bar.update($0) }
        let elapsed = max(seconds(clock.now - start), 1e-9)
        try NPYFile.write(vectors, to: output)
        let tokens = tokenCounts.reduce(0, +)
        print("\(texts.count) texts (\(tokens) tokens) → \(output) [\(vectors.rows) × \(vectors.cols) float32]")
        print(String(format: "model load %.2f s; %.2f s embedding: %.1f texts/s, %.0f tokens/s, %.1f GFLOP/s (batch %d)",
                     seconds(loaded), elapsed, Double(texts.count) / elapsed, Double(tokens) / elapsed,
                     MiniLMEncoder.flops(tokenCounts: tokenCounts) / elapsed / 1e9, batch))
    }

    /// The texts in file order; a line without the field, or not an object, is an error naming it.
    private func readTexts() throws -> [String] {
        guard let data = FileManager.default.contents(atPath: input) else {
            throw ValidationError("cannot read \(input)")
        }
        var texts = [String]()
        for line in JSONLines.lines(of: [UInt8](data)) {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.bytes))) as? [String: Any] else {
                throw ValidationError("\(input):\(line.number): not a JSON object")
            }
            texts.append(try text(of: object, line: line.number))
        }
        return texts
    }

    private func text(of object: [String: Any], line: Int) throws -> String {
        if toolText {
            guard let name = object["name"] as? String ?? object["id"] as? String else {
                throw ValidationError("\(input):\(line): a tool needs a string \"name\"")
            }
            let properties = (object["parameters"] as? [String: Any])?["properties"] as? [String: Any]
            return Tool.embeddingText(name: name, description: object["description"] as? String ?? "",
                                             parameterNames: properties.map { Array($0.keys) } ?? [],
                                             examples: object["examples"] as? [String] ?? [])
        }
        guard let template else {
            guard let value = object[field] as? String else {
                throw ValidationError("\(input):\(line): no string field \"\(field)\" (fields: \(object.keys.sorted().joined(separator: ", ")))")
            }
            return value
        }
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw ValidationError("--template: unclosed { in \"\(template)\"")
            }
            let key = String(rest[rest.index(after: open)..<close])
            guard let value = object[key] else {
                throw ValidationError("\(input):\(line): no field \"\(key)\" for the template")
            }
            result += value as? String ?? "\(value)"
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}
