// swift-tools-version: 6.1
// Benchmarks live in their own package so that users of AgentGantry never resolve or build
// package-benchmark. Run from this folder: `swift package benchmark`.
import PackageDescription

let package = Package(
    name: "AgentGantryBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "AgentGantry", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "GantryMathBenchmarks",
            dependencies: [
                .product(name: "GantryMath", package: "AgentGantry"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/GantryMathBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "GantryIndexBenchmarks",
            dependencies: [
                .product(name: "GantryIndex", package: "AgentGantry"),
                .product(name: "GantryIO", package: "AgentGantry"),
                .product(name: "GantryMath", package: "AgentGantry"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/GantryIndexBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "GantryEmbedBenchmarks",
            dependencies: [
                .product(name: "GantryEmbed", package: "AgentGantry"),
                .product(name: "GantryMath", package: "AgentGantry"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/GantryEmbedBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "GantryAdaptBenchmarks",
            dependencies: [
                .product(name: "GantryAdapt", package: "AgentGantry"),
                .product(name: "GantryIndex", package: "AgentGantry"),
                .product(name: "GantryMath", package: "AgentGantry"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/GantryAdaptBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Our side of Benchmarks/compare/run-index-compare.sh: measures FlatIndex and HNSWIndex on
        // .npy files and prints JSON lines that compare/report.py puts next to the peers.
        .executableTarget(
            name: "IndexCompare",
            dependencies: [
                .product(name: "GantryIndex", package: "AgentGantry"),
                .product(name: "GantryIO", package: "AgentGantry"),
                .product(name: "GantryMath", package: "AgentGantry"),
            ],
            path: "Sources/IndexCompare"
        ),
        // Latency of AgentGantry.retrieveTools on a large catalogue, alone and under 1000 concurrent tasks.
        .executableTarget(
            name: "RouterBench",
            dependencies: [
                "BenchmarkCatalogue",
                .product(name: "GantryEval", package: "AgentGantry"),
                .product(name: "GantryIO", package: "AgentGantry"),
                .product(name: "AgentGantry", package: "AgentGantry"),
                .product(name: "GantryEmbed", package: "AgentGantry"),
                .product(name: "GantryIndex", package: "AgentGantry"),
                .product(name: "GantryMath", package: "AgentGantry"),
            ],
            path: "Sources/RouterBench"
        ),
        // Open-loop latency of retrieveTools and of writes under mixed load (encoder excluded).
        .executableTarget(
            name: "OpenLoop",
            dependencies: [
                .product(name: "AgentGantry", package: "AgentGantry"),
                .product(name: "GantryEmbed", package: "AgentGantry"),
                .product(name: "GantryIndex", package: "AgentGantry"),
                .product(name: "GantryMath", package: "AgentGantry"),
            ],
            path: "Sources/OpenLoop"
        ),
        // How long a store of many tools takes to open.
        .executableTarget(
            name: "Reopen",
            dependencies: [
                .product(name: "AgentGantry", package: "AgentGantry"),
                .product(name: "GantryEmbed", package: "AgentGantry"),
                .product(name: "GantryIndex", package: "AgentGantry"),
                .product(name: "GantryMath", package: "AgentGantry"),
            ],
            path: "Sources/Reopen"
        ),
        // How long other writers wait while one process imports a large event log.
        .executableTarget(
            name: "ImportContention",
            dependencies: [
                .product(name: "AgentGantry", package: "AgentGantry"),
                .product(name: "GantryEmbed", package: "AgentGantry"),
                .product(name: "GantryIndex", package: "AgentGantry"),
                .product(name: "GantryMath", package: "AgentGantry"),
            ],
            path: "Sources/ImportContention"
        ),
        // The training gate's acceptance run on the support-desk log (issue: a sound training gate).
        .executableTarget(
            name: "GateAcceptance",
            dependencies: [
                .product(name: "AgentGantry", package: "AgentGantry"),
                .product(name: "GantryAdapt", package: "AgentGantry"),
                .product(name: "GantryEmbed", package: "AgentGantry"),
                .product(name: "GantryEval", package: "AgentGantry"),
            ],
            path: "Sources/GateAcceptance"
        ),
        // How much feedback train() should hold out, across datasets (the holdout limits' defaults).
        .executableTarget(
            name: "HoldoutStudy",
            dependencies: [
                .product(name: "AgentGantry", package: "AgentGantry"),
                .product(name: "GantryAdapt", package: "AgentGantry"),
                .product(name: "GantryEmbed", package: "AgentGantry"),
                .product(name: "GantryEval", package: "AgentGantry"),
                .product(name: "GantryMath", package: "AgentGantry"),
            ],
            path: "Sources/HoldoutStudy"
        ),
        // The lexical share of hybrid retrieval across datasets (the prior's default).
        .executableTarget(
            name: "HybridWeightStudy",
            dependencies: [
                .product(name: "GantryAdapt", package: "AgentGantry"),
                .product(name: "GantryEval", package: "AgentGantry"),
                .product(name: "GantryIndex", package: "AgentGantry"),
                .product(name: "GantryMath", package: "AgentGantry"),
            ],
            path: "Sources/HybridWeightStudy"
        ),
        // The seeded 10k-tool catalogue of LexicalBench and RouterBench.
        .target(
            name: "BenchmarkCatalogue",
            dependencies: [
                .product(name: "GantryEval", package: "AgentGantry"),
                .product(name: "GantryMath", package: "AgentGantry"),
            ],
            path: "Sources/BenchmarkCatalogue"
        ),
        // Lexical search speed on a 10k-tool catalogue (and the files the bm25s comparison reads).
        .executableTarget(
            name: "LexicalBench",
            dependencies: [
                "BenchmarkCatalogue",
                .product(name: "GantryEval", package: "AgentGantry"),
                .product(name: "GantryIndex", package: "AgentGantry"),
                .product(name: "GantryMath", package: "AgentGantry"),
            ],
            path: "Sources/LexicalBench"
        ),
        // find_tools over `gantry serve --mcp-stdio` against retrieveTools in process, side by side.
        .executableTarget(
            name: "MCPLatency",
            dependencies: [
                "BenchmarkCatalogue",
                .product(name: "AgentGantry", package: "AgentGantry"),
                .product(name: "GantryEmbed", package: "AgentGantry"),
            ],
            path: "Sources/MCPLatency"
        ),
        // CPU time of AgentGantry.train() at a given number of feedback events.
        .executableTarget(
            name: "TrainCost",
            dependencies: [
                .product(name: "AgentGantry", package: "AgentGantry"),
                .product(name: "GantryEval", package: "AgentGantry"),
            ],
            path: "Sources/TrainCost"
        ),
        // Our side of Benchmarks/compare/run-encoder-compare.sh: MiniLMEncoder throughput and
        // memory as JSON lines, next to sentence-transformers.
        .executableTarget(
            name: "EncoderCompare",
            dependencies: [
                .product(name: "GantryEmbed", package: "AgentGantry"),
                .product(name: "GantryMath", package: "AgentGantry"),
            ],
            path: "Sources/EncoderCompare"
        ),
    ],
    swiftLanguageModes: [.v6]
)
