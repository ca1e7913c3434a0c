// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "AgentGantry",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "GantryMath", targets: ["GantryMath"]),
        .library(name: "GantryIndex", targets: ["GantryIndex"]),
        .library(name: "GantryEmbed", targets: ["GantryEmbed"]),
        .library(name: "GantryAdapt", targets: ["GantryAdapt"]),
        .library(name: "AgentGantry", targets: ["AgentGantry"]),
        .library(name: "GantryEval", targets: ["GantryEval"]),
        .executable(name: "gantry", targets: ["gantry"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        // Headers of OpenBLAS (cblas.h) and LAPACKE. The libraries are opened at run time by
        // GantryMath (see BLASLibrary.swift), so that the kernel choice can be made before
        // OpenBLAS initialises and a missing library is a typed error, not a loader failure.
        .systemLibrary(
            name: "CBLAS",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // Vector kernels in C, compiled for SSE2, AVX2+FMA and AVX-512 and chosen at run time.
        .target(name: "GantryKernels"),
        .target(name: "GantryMath", dependencies: ["CBLAS", "GantryKernels"]),
        .target(name: "GantryIndex", dependencies: ["GantryMath"]),
        .target(name: "GantryEmbed", dependencies: ["GantryMath"]),
        .target(name: "GantryAdapt", dependencies: ["GantryMath", "GantryIndex"]),
        // The facade users import: registry, router, feedback store (SQLite through GRDB).
        .target(
            name: "AgentGantry",
            dependencies: ["GantryMath", "GantryIndex", "GantryEmbed", "GantryAdapt", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // Evaluation above the facade: datasets, splits, baselines, replay, the demo and the
        // training pipeline that `gantry` calls.
        .target(name: "GantryEval", dependencies: ["GantryMath", "GantryEmbed", "GantryAdapt", "AgentGantry"]),
        .executableTarget(
            name: "gantry",
            dependencies: [
                "GantryMath",
                "GantryIndex",
                "GantryEmbed",
                "GantryAdapt",
                "AgentGantry",
                "GantryEval",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "GantryMathTests", dependencies: ["GantryMath"], resources: [.copy("Fixtures")]),
        .testTarget(name: "GantryIndexTests", dependencies: ["GantryIndex"]),
        .testTarget(name: "GantryEmbedTests", dependencies: ["GantryEmbed"], resources: [.copy("Fixtures")]),
        .testTarget(name: "GantryAdaptTests", dependencies: ["GantryAdapt"]),
        .testTarget(name: "AgentGantryTests", dependencies: ["AgentGantry", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "GantryEvalTests", dependencies: ["GantryEval", "AgentGantry", "GantryAdapt", "GantryEmbed", "GantryMath"]),
        // Runs the built `gantry` binary; depends on it so `swift test` builds it first.
        .testTarget(name: "gantryTests", dependencies: ["gantry", "GantryMath", "GantryEmbed", "AgentGantry"]),
    ],
    swiftLanguageModes: [.v6]
)
