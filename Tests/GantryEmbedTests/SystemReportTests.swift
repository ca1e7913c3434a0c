@testable import GantryEmbed
import GantryMath
import Testing

@Suite("SystemReport")
struct SystemReportTests {
    @Test func readsTheFirstModelNameOfCPUInfo() {
        let cpuinfo = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            model\t\t: 85
            model name\t: Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz
            flags\t\t: fpu sse avx2

            processor\t: 1
            model name\t: Another
            """
        #expect(SystemReport.cpuModel(cpuinfo: cpuinfo) == "Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz")
        #expect(SystemReport.cpuModel(cpuinfo: "processor\t: 0\nmodel\t\t: 85\n") == nil)
    }

    @Test func countsEachMissingPieceOnce() {
        var report = SystemReport.gather(modelDirectory: "/nonexistent-model")
        guard case .failure(.modelNotFound(let path, _, _)) = report.model else {
            Issue.record("expected a missing model, got \(report.model)")
            return
        }
        #expect(path == "/nonexistent-model")
        #expect(report.cores >= 1 && report.cpu == .current)
        let found = report.problems
        report.lapacke = .failure(.libraryUnavailable(library: "test", reason: "test", remedy: "none"))
        report.blas = .failure(.libraryUnavailable(library: "test", reason: "test", remedy: "none"))
        #expect(report.problems == 3 && found >= 1)
        report.encoderPrecision = .failure(.mismatch("test"))
        #expect(report.problems == 4)
        #expect(report.kernelAdvice == nil)
    }
}
