import ArgumentParser
import Foundation
import GantryEmbed
import GantryMath

/// `gantry doctor`: what the toolkit finds on this machine, and what to do about what is missing.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report the CPU, the SIMD kernels, OpenBLAS, LAPACKE and the model in use, and how to fix what is missing.")

    func run() throws {
        var problems = 0
        let cpu = CPUFeatures.current
        print("gantry \(Gantry.version)")
        print(row("CPU", "\(cpuModel() ?? "unknown model"), \(ProcessInfo.processInfo.activeProcessorCount) cores"))
        print(row("  features", cpu.description))
        print(row("SIMD kernels", "\(SIMDKernels.activeLevel) (widest this CPU runs: \(SIMDKernels.bestLevel))"))

        switch Result(catching: { () throws(MathError) in try BLAS.status() }) {
        case .success(let status):
            print(row("OpenBLAS", status.libraryPath))
            let level = status.coreLevel.map { " (\($0))" } ?? ""
            print(row("  kernels", "\(status.coreName ?? "unknown")\(level), choice: \(status.choice)"
                + (status.environmentCoreType.map { ", OPENBLAS_CORETYPE=\($0) in the environment" } ?? "")))
            print(row("  threads", status.threadCount.map(String.init) ?? "unknown"))
            if let configuration = status.configuration { print(row("  build", configuration)) }
            if let advice = status.kernelAdvice(cpu: cpu) { print("  ! \(advice)") }
        case .failure(let error):
            problems += 1
            if case .libraryUnavailable = error { print(row("OpenBLAS", "MISSING")) } else { print(row("OpenBLAS", "NOT LOADED")) }
            print("  ! \(error)")
        }

        switch Result(catching: { () throws(MathError) in try BLAS.lapackePath() }) {
        case .success(let path):
            print(row("LAPACKE", path))
        case .failure(let error):
            problems += 1
            print(row("LAPACKE", "MISSING"))
            print("  ! \(error)")
        }
        switch Result(catching: { () throws(EmbedError) in try ModelLocator.locate() }) {
        case .success(let folder):
            let size = (try? FileManager.default.attributesOfItem(atPath: folder + "/model.safetensors")[.size] as? Int) ?? 0
            print(row("Model", "all-MiniLM-L6-v2 at \(folder) (\(size / 1_000_000) MB of weights)"))
        case .failure(let error):
            problems += 1
            print(row("Model", "MISSING"))
            print("  ! \(error)")
        }

        if problems > 0 {
            print("\n\(problems) problem(s) found.")
            throw ExitCode(1)
        }
        print("\nAll required libraries and the model found.")
    }

    private func row(_ label: String, _ value: String) -> String {
        label.padding(toLength: 14, withPad: " ", startingAt: 0) + value
    }

    private func cpuModel() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
