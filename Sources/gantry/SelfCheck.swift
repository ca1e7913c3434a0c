import ArgumentParser
import Foundation
import GantryMath

/// `gantry selfcheck`: proves the numeric core works on this machine and how fast it is
/// (`NumericSelfCheck`).
struct SelfCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selfcheck",
        abstract: "Check BLAS, LAPACK and the SIMD kernels against plain reference code, then time sgemm.")

    @Option(parsing: .unconditional, help: "Seed for the random test matrices.")
    var seed: UInt64 = 42

    @Option(parsing: .unconditional, help: "Seconds to spend timing sgemm at 4096×384×384 (0 skips it).")
    var seconds: Double = 1

    func validate() throws {
        guard seconds.isFinite, seconds >= 0 else { throw ValidationError("--seconds must be 0 or more, got \(seconds)") }
    }

    func run() throws {
        let report = try NumericSelfCheck.run(seed: seed, seconds: seconds)
        for check in report.checks {
            print("\(check.passed ? "ok  " : "FAIL") \(check.name.padding(toLength: 44, withPad: " ", startingAt: 0)) "
                + (check.tolerance > 0 ? "max rel. error \(String(format: "%.2e", check.relativeError)) (limit \(String(format: "%.0e", check.tolerance)))" : ""))
        }
        if let speed = report.speed {
            print("sgemm \(speed.shape.m)×\(speed.shape.k)×\(speed.shape.n): \(String(format: "%.1f", speed.gflops)) GFLOP/s with OpenBLAS "
                + "\(speed.status.coreName ?? "?") kernels on \(speed.status.threadCount ?? 0) thread(s)")
        }
        let failures = report.checks.count { !$0.passed }
        if failures > 0 {
            print("\(failures) check(s) failed")
            throw ExitCode(1)
        }
        print("selfcheck passed")
    }
}
