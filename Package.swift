// swift-tools-version: 6.1
import Foundation
import PackageDescription

// `GANTRY_WITHOUT_POSTGRES=1` leaves out the PostgreSQL store, the `gantry` command (which opens
// PostgreSQL stores) and their tests, and so NIO: the thread-sanitizer step of `.ci/run` and the
// fuzzing build (Reliability/run.sh) build the package without them rather than compile NIO again.
let withPostgres = ProcessInfo.processInfo.environment["GANTRY_WITHOUT_POSTGRES"] == nil

let package = Package(
    name: "AgentGantry",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "GantryIO", targets: ["GantryIO"]),
        .library(name: "GantryMath", targets: ["GantryMath"]),
        .library(name: "GantryIndex", targets: ["GantryIndex"]),
        .library(name: "GantryEmbed", targets: ["GantryEmbed"]),
        .library(name: "GantryAdapt", targets: ["GantryAdapt"]),
        .library(name: "AgentGantry", targets: ["AgentGantry"]),
        .library(name: "GantryEval", targets: ["GantryEval"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // Documentation only (`swift package generate-documentation`, scripts/check-docs):
        // a command plugin, so no target depends on it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
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
        // Binary reader and writer, the one checksummed file envelope, atomic writes, `.npy`.
        .target(name: "GantryIO", dependencies: ["GantryKernels"]),
        .target(name: "GantryMath", dependencies: ["CBLAS", "GantryKernels", "GantryIO"]),
        .target(name: "GantryIndex", dependencies: ["GantryMath", "GantryIO"]),
        .target(name: "GantryEmbed", dependencies: ["GantryMath", "GantryIO"]),
        .target(name: "GantryAdapt", dependencies: ["GantryMath", "GantryIO", "GantryIndex"]),
        // The facade users import: registry, router, feedback store (SQLite through GRDB).
        .target(
            name: "AgentGantry",
            dependencies: ["GantryIO", "GantryMath", "GantryIndex", "GantryEmbed", "GantryAdapt", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The conformance suite every GantryStore implementation runs (not a product).
        .target(name: "GantryStoreConformance", dependencies: ["AgentGantry", "GantryEmbed", "GantryMath"]),
        // Evaluation above the facade: datasets, splits, baselines, replay, the demo and the
        // training pipeline that `gantry` calls.
        .target(name: "GantryEval", dependencies: ["GantryIO", "GantryMath", "GantryIndex", "GantryEmbed", "GantryAdapt", "AgentGantry"]),
        // The reliability harnesses (RELIABILITY.md, run by Reliability/run.sh): no product, so
        // users of the libraries never build them; here rather than in a package of their own so
        // that they reuse this package's builds (the tests' debug build, the release build of
        // `gantry`) instead of compiling the libraries once more.
        // GantryFuzz is built twice by run.sh: with `-sanitize=fuzzer,address -DFUZZING`
        // (libFuzzer supplies main) and plainly, which gives a main that writes seed corpora and
        // replays inputs.
        .executableTarget(
            name: "GantryFuzz",
            dependencies: ["AgentGantry", "GantryAdapt", "GantryEmbed", "GantryEval", "GantryIndex", "GantryIO", "GantryMath"],
            path: "Reliability/Sources/GantryFuzz"
        ),
        .executableTarget(
            name: "CrashHarness",
            dependencies: ["AgentGantry", "GantryAdapt", "GantryEmbed", "GantryIndex", "GantryMath"],
            path: "Reliability/Sources/CrashHarness"
        ),
        // Built against this checkout here, and against the newest release by
        // Reliability/upgrade.py (the same main.swift): one AgentGantry process of either version
        // on one store.
        .executableTarget(
            name: "UpgradeWorker",
            dependencies: ["AgentGantry", "GantryAdapt", "GantryEmbed", "GantryMath"],
            path: "Reliability/Sources/UpgradeWorker"
        ),
        .executableTarget(
            name: "Soak",
            dependencies: ["AgentGantry", "GantryEmbed", "GantryIndex", "HeapUsage"],
            path: "Reliability/Sources/Soak"
        ),
        // The soak's memory bound: bytes allocated and not freed (glibc mallinfo2).
        .target(name: "HeapUsage", path: "Reliability/Sources/HeapUsage"),
        .testTarget(name: "GantryIOTests", dependencies: ["GantryIO", "GantryMath"], resources: [.copy("Fixtures")]),
        .testTarget(name: "GantryMathTests", dependencies: ["GantryMath", "GantryIO"]),
        .testTarget(name: "GantryIndexTests", dependencies: ["GantryIndex", "GantryIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "GantryEmbedTests", dependencies: ["GantryEmbed", "GantryIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "GantryAdaptTests", dependencies: ["GantryAdapt", "GantryIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "AgentGantryTests", dependencies: ["AgentGantry", "GantryStoreConformance", "GantryIO", .product(name: "GRDB", package: "GRDB.swift")],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "GantryEvalTests", dependencies: ["GantryEval", "AgentGantry", "GantryAdapt", "GantryEmbed", "GantryIO", "GantryMath"]),
    ],
    swiftLanguageModes: [.v6]
)

if withPostgres {
    package.products += [
        .library(name: "AgentGantryPostgres", targets: ["AgentGantryPostgres"]),
        .executable(name: "gantry", targets: ["gantry"]),
    ]
    package.dependencies += [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.6.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.25.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.5.3"),
        // `gantry serve` only: no trait (swift-configuration is not needed).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // `gantry serve --mcp-stdio` and the `/mcp` path of `gantry serve` (the Model Context Protocol).
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", from: "0.12.1"),
    ]
    package.targets += [
        // The store shared by many hosts (PostgreSQL, through postgres-nio): its own product, so
        // that users of `AgentGantry` with SQLite never build NIO.
        .target(
            name: "AgentGantryPostgres",
            dependencies: [
                "AgentGantry",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The PostgreSQL store against a real server (GANTRY_TEST_POSTGRES_URL; skipped without).
        .testTarget(name: "AgentGantryPostgresTests", dependencies: [
            "AgentGantryPostgres", "AgentGantry", "GantryEmbed", "GantryStoreConformance",
            .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
        ]),
        // `gantry serve`: AgentGantry over HTTP (Hummingbird) and over the Model Context Protocol,
        // one isolated gantry per tenant. A target of its own so that only the command line
        // builds Hummingbird and the MCP SDK.
        .target(
            name: "GantryServer",
            dependencies: [
                "AgentGantry",
                "GantryIO",
                "AgentGantryPostgres",
                "GantryEmbed",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "MCP", package: "swift-sdk"),
            ]
        ),
        .testTarget(name: "GantryServerTests", dependencies: ["GantryServer", "AgentGantry", "GantryEmbed", "GantryMath"]),
        // The command line; it opens SQLite files and PostgreSQL stores.
        .executableTarget(
            name: "gantry",
            dependencies: [
                "GantryIO",
                "GantryMath",
                "GantryIndex",
                "GantryEmbed",
                "GantryAdapt",
                "AgentGantry",
                "GantryEval",
                "AgentGantryPostgres",
                "GantryServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Runs the built `gantry` binary; depends on it so `swift test` builds it first.
        .testTarget(name: "gantryTests", dependencies: ["gantry", "GantryIO", "GantryMath", "GantryEmbed", "AgentGantry",
                                                        .product(name: "MCP", package: "swift-sdk")]),
        // The fleet harness (Reliability/run.sh fleet): processes on one SQLite file or PostgreSQL database.
        .executableTarget(
            name: "Fleet",
            dependencies: ["AgentGantry", "AgentGantryPostgres", "GantryEmbed", "GantryMath"],
            path: "Reliability/Sources/Fleet"
        ),
    ]
}
