import Foundation

/// Held by every test of the SIMD kernel suite while it runs, and by other tests while they switch
/// the products' paths: those tests switch the kernel level and the paths for the whole process,
/// and an int8 encoder loaded meanwhile would fit its codes through other kernels
/// (GantryEmbedTests' `withKernelsUnswitched` takes the same lock).
/// An `flock` on a file named after this process, so that suites of different test modules
/// exclude each other; released when the instance goes.
final class KernelSwitchLock {
    private let descriptor: Int32

    init() {
        descriptor = open(NSTemporaryDirectory() + "/agentgantry-kernel-switch-\(getpid()).lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        if descriptor >= 0 { flock(descriptor, LOCK_EX) }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }
}
