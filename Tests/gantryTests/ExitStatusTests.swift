import Foundation
import Testing

/// The CLI's one convention (README, "Command line"): 64 for a usage error — an unknown or
/// missing option, a value out of its range (negative numbers are read as values, so the range
/// is what is reported) — printed with the command's usage line; 1 for a failure of the work
/// itself — a missing or unreadable input file, bad data, I/O — printed without it.
@Suite("gantry exit status")
struct ExitStatusTests {
    @Test func usageErrorsExit64WithTheUsageLine() throws {
        let cases: [(arguments: [String], message: String)] = [
            (["index", "search", "--index", "i.gidx", "--queries", "q.npy", "--k", "-1"], "--k must be at least 1, got -1"),
            (["index", "search", "--index", "i.gidx", "--queries", "q.npy", "--k", "0"], "--k must be at least 1, got 0"),
            (["index", "build", "--embeddings", "e.npy", "--output", "o.gidx", "--threads", "0"], "--threads must be at least 1"),
            (["embed", "--input", "t.jsonl", "--output", "o.npy", "--batch", "-3"], "--batch must be at least 1"),
            (["train", "--output", "/tmp/x.gadp"], "give --dataset, or the store with --store or in GANTRY_STORE_URL"),
            (["index", "search", "--index", "i.gidx"], "Missing expected argument '--queries"),
            // Found by probing: --threads 0 trapped in BLAS; training settings out of range exited 1; a negative --seconds was "missing".
            (["train", "--store", "s.sqlite", "--threads", "0"], "--threads must be at least 1, got 0"),
            (["train", "--dataset", "d", "--output", "o.gadp", "--rank", "0"], "rank must be at least 1"),
            (["train", "--store", "s.sqlite", "--patience", "0"], "patience must be at least 1"),
            (["selfcheck", "--seconds", "-1"], "--seconds must be 0 or more, got -1.0"),
        ]
        for (arguments, message) in cases {
            let run = try runGantry(arguments)
            #expect(run.status == 64 && run.output.contains(message) && run.output.contains("Usage: gantry"), "\(arguments): \(run.output)")
        }
    }

    @Test func failuresOfTheWorkExit1WithoutTheUsageLine() throws {
        let cases: [[String]] = [
            ["embed", "--input", "/nonexistent/t.jsonl", "--output", "/tmp/o.npy"],
            ["index", "build", "--embeddings", "/nonexistent/e.npy", "--output", "/tmp/o.gidx"],
            ["index", "search", "--index", "/nonexistent/i.gidx", "--queries", "/nonexistent/q.npy"],
            ["train", "--store", "/nonexistent/store.sqlite"],
            ["eval", "--dataset", "/nonexistent/dataset"],
        ]
        for arguments in cases {
            let run = try runGantry(arguments)
            #expect(run.status == 1 && run.output.contains("/nonexistent/") && !run.output.contains("Usage:"), "\(arguments): \(run.output)")
        }
    }
}
