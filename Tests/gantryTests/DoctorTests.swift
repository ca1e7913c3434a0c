import Foundation
import GantryMath
import Testing

/// Runs the built `gantry` binary (next to the test bundle) with extra environment variables.
func runGantry(_ arguments: [String], environment extra: [String: String] = [:], in workingDirectory: String? = nil) throws -> (status: Int32, output: String) {
    try startGantry(arguments, environment: extra, in: workingDirectory).finish()
}

/// A `gantry` process started by `startGantry`.
struct StartedGantry {
    let process: Process
    let pipe: Pipe

    /// Waits for the process; its exit status and everything it printed (stdout and stderr).
    func finish() -> (status: Int32, output: String) {
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// Starts the built `gantry` binary without waiting for it.
func startGantry(_ arguments: [String], environment extra: [String: String] = [:], in workingDirectory: String? = nil) throws -> StartedGantry {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = testBinary.deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("gantry").path), directory.path != "/" {
        directory = directory.deletingLastPathComponent()
    }
    let process = Process()
    process.executableURL = directory.appendingPathComponent("gantry")
    process.arguments = arguments
    if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
    process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    return StartedGantry(process: process, pipe: pipe)
}

@Suite("gantry doctor")
struct DoctorTests {
    @Test func reportsAMissingOpenBLASAndHowToInstallIt() throws {
        let (status, output) = try runGantry(["doctor"], environment: ["GANTRY_BLAS_LIBRARY": "/nonexistent/libopenblas.so.0"])
        #expect(status == 1)
        #expect(output.contains("OpenBLAS      MISSING"))
        #expect(output.contains("apt-get install libopenblas-dev liblapacke-dev"))
        #expect(output.contains("/nonexistent/libopenblas.so.0"))
    }

    @Test func bestKernelsMatchTheCPUAndAreReported() throws {
        let (status, output) = try runGantry(["doctor"], environment: ["GANTRY_BLAS_KERNELS": "best"])
        #expect(status == 0, "\(output)")
        if let best = OpenBLASCores.best(for: .current) {
            #expect(output.contains("kernels     \(best)"), "\(output)")
            #expect(!output.contains("! OpenBLAS runs"), "no narrower-kernel warning expected: \(output)")
        }
    }

    @Test func warnsWhenTheEnvironmentHoldsOpenBLASToNarrowerKernels() throws {
        guard CPUFeatures.current.simdLevel > .avx2 else { return }  // needs a CPU wider than Haswell's kernels
        let (status, output) = try runGantry(["doctor"], environment: ["OPENBLAS_CORETYPE": "Haswell", "GANTRY_BLAS_KERNELS": "environment"])
        #expect(status == 0)
        #expect(output.contains("OPENBLAS_CORETYPE=Haswell is set"), "\(output)")
        #expect(output.contains("GANTRY_BLAS_KERNELS=best"))
    }

    @Test func refusesAnUnknownCoreName() throws {
        let (status, output) = try runGantry(["doctor"], environment: ["GANTRY_BLAS_KERNELS": "Pentium9"])
        #expect(status == 1)
        #expect(output.contains("unknown OpenBLAS core type 'Pentium9'"))
    }

    @Test func selfcheckPasses() throws {
        let (status, output) = try runGantry(["selfcheck", "--seconds", "0"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("selfcheck passed"))
    }
}
