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
    ],
    swiftLanguageModes: [.v6]
)
