import ArgumentParser
import Foundation
import GantryEmbed
import GantryMath

/// `gantry doctor`: what the toolkit finds on this machine, and what to do about what is missing
/// (`SystemReport`).
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report the CPU, the SIMD kernels, OpenBLAS, LAPACKE and the model in use, and how to fix what is missing.")

    func run() throws {
        let report = SystemReport.gather()
        print("gantry \(Gantry.version)")
        print(row("CPU", "\(report.cpuModel ?? "unknown model"), \(report.cores) cores"))
        print(row("  features", report.cpu.description))
        print(row("SIMD kernels", "\(report.activeSIMD) (widest this CPU runs: \(report.bestSIMD))"))

        switch report.blas {
        case .success(let status):
            print(row("OpenBLAS", status.libraryPath))
            let level = status.coreLevel.map { " (\($0))" } ?? ""
            print(row("  kernels", "\(status.coreName ?? "unknown")\(level), choice: \(status.choice)"
                + (status.environmentCoreType.map { ", OPENBLAS_CORETYPE=\($0) in the environment" } ?? "")))
            print(row("  threads", status.threadCount.map { "\($0) per product (OpenBLAS on the caller's thread, large products shared over the worker pool)" } ?? "unknown"))
            if let configuration = status.configuration { print(row("  build", configuration)) }
            if let advice = report.kernelAdvice { print("  ! \(advice)") }
        case .failure(let error):
            if case .libraryUnavailable = error { print(row("OpenBLAS", "MISSING")) } else { print(row("OpenBLAS", "NOT LOADED")) }
            print("  ! \(error)")
        }
        switch report.lapacke {
        case .success(let path):
            print(row("LAPACKE", path))
        case .failure(let error):
            print(row("LAPACKE", "MISSING"))
            print("  ! \(error)")
        }
        switch report.model {
        case .success(let model):
            print(row("Model", "all-MiniLM-L6-v2 at \(model.folder) (\(model.weightBytes / 1_000_000) MB of weights)"))
        case .failure(let error):
            print(row("Model", "MISSING"))
            print("  ! \(error)")
        }
        let bf16 = report.tileProducts ? "bf16 runs on AMX tiles here"
            : report.bf16DotProducts ? "bf16 runs on vdpbf16ps here" : "bf16 runs on float FMAs here (no AVX-512 BF16)"
        let int8 = report.tileProducts ? "int8 on AMX tiles"
            : report.int8DotProducts ? "int8 on vpdpbusd" : "int8 on widened integer multiplies (no AVX-512 VNNI)"
        switch report.encoderPrecision {
        case .success(let precision):
            print(row("Encoder", "\(precision.rawValue) weights for new stores; a store keeps the precision of its tools "
                      + "unless GANTRY_ENCODER_PRECISION=fp32|bf16|int8|auto is set (\(bf16), \(int8))"))
        case .failure(let error):
            print(row("Encoder", "BAD PRECISION"))
            print("  ! \(error)")
        }

        if report.problems > 0 {
            print("\n\(report.problems) problem(s) found.")
            throw ExitCode(1)
        }
        print("\nAll required libraries and the model found.")
    }

    private func row(_ label: String, _ value: String) -> String {
        label.padding(toLength: 14, withPad: " ", startingAt: 0) + value
    }
}
