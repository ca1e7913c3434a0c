import Foundation
import GantryMath

/// What the toolkit finds on this machine (`gantry doctor`): the CPU, the SIMD kernels in use,
/// OpenBLAS, LAPACKE and the MiniLM model, each found or the error that says how to fix it.
///
/// It lives in GantryEmbed because that is the lowest module that sees both the numeric
/// runtime (GantryMath) and the model files (`ModelLocator`).
public struct SystemReport: Sendable {
    /// An installed model folder.
    public struct Model: Sendable {
        /// The folder holding `model.safetensors`, `vocab.txt` and `config.json`.
        public var folder: String
        /// The size of `model.safetensors`.
        public var weightBytes: Int
    }

    /// The CPU's marketing name from `/proc/cpuinfo` (nil where there is none).
    public var cpuModel: String?
    /// Cores this process may use.
    public var cores: Int
    /// The instruction-set extensions the CPU reports.
    public var cpu: CPUFeatures
    /// The SIMD kernels in use.
    public var activeSIMD: SIMDLevel
    /// The widest SIMD kernels this CPU runs.
    public var bestSIMD: SIMDLevel
    /// OpenBLAS as loaded, or why it is not.
    public var blas: Result<BLASStatus, MathError>
    /// The LAPACKE library's path, or why it is missing.
    public var lapacke: Result<String, MathError>
    /// The model folder, or why it is missing.
    public var model: Result<Model, EmbedError>
    /// The encoder's weight precision (`MiniLMEncoder.defaultPrecision()`), or why
    /// `GANTRY_ENCODER_PRECISION` names none.
    public var encoderPrecision: Result<TransformerKernels.WeightPrecision, EmbedError>
    /// Whether bfloat16 products run on the CPU's `vdpbf16ps`.
    public var bf16DotProducts: Bool
    /// Whether 8-bit products run on the CPU's `vpdpbusd` (AVX-512 VNNI).
    public var int8DotProducts: Bool
    /// Whether bfloat16 and 8-bit products run on the CPU's AMX tiles (ahead of the two above).
    public var tileProducts: Bool

    /// Looks at this machine; `modelDirectory` as `ModelLocator.locate(_:)` takes it. Loads
    /// OpenBLAS and LAPACKE if they are not loaded yet.
    public static func gather(modelDirectory: String? = nil) -> SystemReport {
        let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        return SystemReport(
            cpuModel: cpuinfo.flatMap(cpuModel(cpuinfo:)),
            cores: ProcessInfo.processInfo.activeProcessorCount,
            cpu: .current,
            activeSIMD: SIMDKernels.activeLevel, bestSIMD: SIMDKernels.bestLevel,
            blas: Result { () throws(MathError) in try BLAS.status() },
            lapacke: Result { () throws(MathError) in try BLAS.lapackePath() },
            model: Result { () throws(EmbedError) in
                let folder = try ModelLocator.locate(modelDirectory)
                let size = (try? FileManager.default.attributesOfItem(atPath: folder + "/model.safetensors")[.size] as? Int) ?? 0
                return Model(folder: folder, weightBytes: size)
            },
            encoderPrecision: Result { () throws(EmbedError) in try MiniLMEncoder.defaultPrecision() },
            bf16DotProducts: TransformerKernels.bf16DotProducts, int8DotProducts: TransformerKernels.int8DotProducts,
            tileProducts: TransformerKernels.tileProducts)
    }

    /// Advice when OpenBLAS runs narrower kernels than this CPU could (see `BLASStatus.kernelAdvice`).
    public var kernelAdvice: String? {
        guard case .success(let status) = blas else { return nil }
        return status.kernelAdvice(cpu: cpu)
    }

    /// How many of OpenBLAS, LAPACKE, the model and a valid encoder precision are missing.
    public var problems: Int {
        [blas.isFailure, lapacke.isFailure, model.isFailure, encoderPrecision.isFailure].count { $0 }
    }

    /// The first `model name` value of a `/proc/cpuinfo` text.
    static func cpuModel(cpuinfo text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { true } else { false }
    }
}
