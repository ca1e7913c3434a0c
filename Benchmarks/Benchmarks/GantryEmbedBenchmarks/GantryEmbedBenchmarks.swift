// MiniLMEncoder (all-MiniLM-L6-v2) at the sizes tool routing sees: one short query (batch 1),
// 32 short queries in one call, one tool description of ~60 tokens, and the tokenizer alone.
// Texts are written here (no dataset needed); the model comes from the bootstrap cache. Side-by-
// side figures against sentence-transformers come from compare/run-encoder-compare.sh.
import Benchmark
import GantryEmbed
import GantryMath

let queries = [
    "cancel my subscription", "pause my plan for two months", "send a message to the team channel",
    "what meetings do I have tomorrow", "refund the last invoice", "create a ticket for the login bug",
    "show me last week's sales dashboard", "book a flight to Berlin on Friday",
].flatMap { [$0, $0 + " please", "can you " + $0, $0 + " right now"] }  // 32 texts, 5-12 tokens
let toolDescription = """
    create_calendar_event: Create an event in the user's calendar. Parameters: title (string), \
    start (ISO 8601 date-time), end (ISO 8601 date-time), attendees (list of e-mail addresses), \
    location (string, optional), reminder_minutes (integer, optional).
    """
let encoder = Result { try MiniLMEncoder(batchSize: 32) }

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 3,
        maxDuration: .seconds(3),
        maxIterations: 10_000
    )
    guard case .success(let encoder) = encoder else {
        print("GantryEmbedBenchmarks: no model (run scripts/bootstrap); skipping")
        return
    }
    Benchmark("embed 1 query (batch 1)") { benchmark in
        for i in benchmark.scaledIterations { blackHole(try encoder.embed([queries[i % queries.count]])) }
    }
    Benchmark("embed 32 queries (one call)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try encoder.embed(queries)) }
    }
    Benchmark("embed 1 tool description (~60 tokens)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try encoder.embed([toolDescription])) }
    }
    Benchmark("tokenize 32 queries", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(queries.map(encoder.tokenize)) }
    }
}
