// `GantryFuzz seeds DIR` writes the seed corpora; `GantryFuzz replay TARGET FILE…` runs inputs
// (crash reproducers) once each. Built with `-sanitize=fuzzer,address -DFUZZING`, any other
// arguments go to libFuzzer's driver, which fuzzes the target named by GANTRY_FUZZ_TARGET.
import Foundation

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

nonisolated(unsafe) var fuzzTarget = FuzzTarget.npy

/// libFuzzer's entry point (its archive's own main references it; ours runs the driver).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzTarget.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#endif

@main
struct GantryFuzz {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "seeds" where arguments.count == 2:
            let counts = try Seeds.write(to: arguments[1])
            print(counts.map { "\($0.key): \($0.value)" }.sorted().joined(separator: ", "))
        case "replay" where arguments.count >= 3:
            guard let target = FuzzTarget(rawValue: arguments[1]) else { fail("unknown target \(arguments[1])") }
            var loaded = 0
            for path in arguments.dropFirst(2) {
                guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
                if target.run(Array(data)) { loaded += 1 }
            }
            print("\(target.rawValue): \(arguments.count - 2) inputs, \(loaded) loaded, the rest refused with typed errors; no crash")
        default:
            #if FUZZING
            guard let name = ProcessInfo.processInfo.environment["GANTRY_FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
                fail("set GANTRY_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            fuzzTarget = target
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
            #else
            fail("usage: GantryFuzz seeds DIR | GantryFuzz replay TARGET FILE…   (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")));"
                 + " build with -sanitize=fuzzer,address -DFUZZING to fuzz")
            #endif
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(2)
    }
}
