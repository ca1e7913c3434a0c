import Foundation
import GantryMath
import Testing

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
