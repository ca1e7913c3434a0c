import Foundation
import GantryEmbed
import GantryEval
import GantryIO
import GantryMath
import Testing

@Suite("EmbeddingJob")
struct EmbeddingJobTests {
    static let modelInstalled = (try? ModelLocator.locate()) != nil

    func folder() throws -> String {
        let folder = NSTemporaryDirectory() + "gantry-embedding-job-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test(.enabled(if: modelInstalled, "needs the MiniLM model (scripts/bootstrap)"))
    func writesTheEncodersVectorsAndCountsTheirWork() throws {
        let folder = try folder()
        let texts = ["Cancel a subscription at the end of the billing period.", "Pause billing.", "Post a message to a Slack channel."]
        try texts.map { #"{"text": "\#($0)"}"# }.joined(separator: "\n").write(toFile: folder + "/in.jsonl", atomically: true, encoding: .utf8)
        var calls = [(Int, Int)]()
        let report = try EmbeddingJob(input: folder + "/in.jsonl", output: folder + "/out.npy", batchSize: 2).run { calls.append(($0, $1)) }
        let encoder = try MiniLMEncoder()
        let tokenCounts = texts.map { encoder.tokenize($0).count }
        #expect(report.texts == 3 && report.dimension == 384 && report.tokens == tokenCounts.reduce(0, +))
        #expect(report.flops == MiniLMEncoder.flops(tokenCounts: tokenCounts))
        #expect(report.embedSeconds > 0 && abs(report.textsPerSecond - 3 / report.embedSeconds) < 1e-9)
        #expect(abs(report.gflopsPerSecond - report.flops / report.embedSeconds / 1e9) < 1e-9)
        #expect(calls.map(\.0) == [0, 2, 3] && calls.allSatisfy { $0.1 == 3 })
        let written = Matrix(try NPYFile.read(folder + "/out.npy"))
        let expected = try encoder.embed(texts)
        #expect(written.rows == 3 && zip(written.values, expected.values).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func aBadLineFailsBeforeTheModelIsLoaded() throws {
        let folder = try folder()
        try #"{"text": "fine"}"#.appending("\n{\"title\": \"no text\"}\n").write(toFile: folder + "/in.jsonl", atomically: true, encoding: .utf8)
        let job = EmbeddingJob(input: folder + "/in.jsonl", output: folder + "/out.npy", modelDirectory: "/nonexistent-model")
        #expect { try job.run() } throws: { error in
            guard case .line(_, 2, let reason)? = error as? EvalError else { return false }
            return reason.contains("no string field \"text\"")
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/out.npy"))
    }

    /// Texts the encoder must not see are refused by line before the model loads: empty or blank
    /// (a vector of nothing), with NUL, or over `MiniLMEncoder.maxTextBytes` in UTF-8 bytes (one
    /// character of combining marks is as long as its bytes, and tokenising it was the stall).
    @Test func emptyNULAndOversizedTextsFailBeforeTheModelIsLoaded() throws {
        let folder = try folder()
        let marks = "a" + String(repeating: "\u{301}", count: MiniLMEncoder.maxTextBytes / 2)
        for (text, reason) in [("", "the text is empty or blank"), ("\u{A0}\u{200B}", "the text is empty or blank"),
                               ("a\u{0}b", "the text holds a NUL character"),
                               (marks, "the text has \(marks.utf8.count) bytes; the limit is \(MiniLMEncoder.maxTextBytes)")] {
            let line = String(decoding: try JSONSerialization.data(withJSONObject: ["text": text]), as: UTF8.self)
            try (#"{"text": "fine"}"# + "\n" + line + "\n").write(toFile: folder + "/in.jsonl", atomically: true, encoding: .utf8)
            let job = EmbeddingJob(input: folder + "/in.jsonl", output: folder + "/out.npy", modelDirectory: "/nonexistent-model")
            #expect { try job.run() } throws: { error in
                guard case .line(_, 2, let found)? = error as? EvalError else { return false }
                return found == reason
            }
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/out.npy"))
    }
}
