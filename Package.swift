// swift-tools-version:6.0
// metalora — MeTA-LoRA reproduction harness. One module per concern:
//   CBLAS (system OpenBLAS) → Engine (tensors, kernels, backward passes, optimizers)
//   → Models (checkpoint readers, tokenizers, LLaMA decoder) → Adapters (LoRA and its multi-head kin)
//   → Training (trainers), Data (training tasks), Evaluation (benchmarks) → Harness (specs, store, tables)
//   → metalora (the CLI).
import PackageDescription

// Hot loops are bounds-checked in debug builds only; release builds drop the checks.
let fast: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
    .swiftLanguageMode(.v5),
]
let plain: [SwiftSetting] = [.swiftLanguageMode(.v5)]
// The row kernels' second build targets AVX2+FMA CPUs (Haswell and later, Zen and later), the
// third AVX-512 (F, CD, BW, DQ, VL: Skylake-SP and later, Zen 4 and later) with 16-lane loops
// (the skylake-avx512 target alone keeps LLVM's loops at 8 lanes). Engine calls each only when the
// CPU reports its features (RowKernelDispatch), never by assumption.
#if arch(x86_64)
let avx2: [SwiftSetting] = fast + [.unsafeFlags(["-target-cpu", "haswell"])]
let avx512: [SwiftSetting] = fast + [.unsafeFlags(["-target-cpu", "skylake-avx512", "-Xllvm", "-force-vector-width=16"])]
#else
let avx2: [SwiftSetting] = fast
let avx512: [SwiftSetting] = fast
#endif

let package = Package(
    name: "metalora",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "metalora", targets: ["metalora"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // oneDNN (Debian libdnnl-dev 2.6) for bf16 products; the CPU's bf16 support is checked at run time.
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),
        // One source (Sources/VectorKernels), three builds: baseline x86-64, AVX2+FMA and AVX-512.
        .target(name: "VectorKernels", swiftSettings: fast),
        .target(name: "VectorKernelsAVX2", swiftSettings: avx2),
        .target(name: "VectorKernelsAVX512", swiftSettings: avx512),
        .target(name: "Engine", dependencies: ["CBLAS", "CDNNL", "VectorKernels", "VectorKernelsAVX2", "VectorKernelsAVX512",
                                       .product(name: "Crypto", package: "swift-crypto")], swiftSettings: fast),
        .target(name: "Models", dependencies: ["Engine", .product(name: "HeapModule", package: "swift-collections")], swiftSettings: fast),
        .target(name: "Adapters", dependencies: ["Engine", "Models"], swiftSettings: fast),
        .target(name: "Data", dependencies: ["Engine"], swiftSettings: plain),
        .target(name: "Training", dependencies: ["Engine", "Models", "Adapters", "Data"], swiftSettings: fast),
        // Benchmarks/ holds the benchmark definitions (YAML), read at run time by BenchmarkCatalog.
        .target(name: "Evaluation", dependencies: ["Engine", "Models", "Data", .product(name: "Yams", package: "Yams")],
                resources: [.copy("Benchmarks")], swiftSettings: fast),
        .target(name: "Harness", dependencies: [
            "Engine", "Models", "Adapters", "Data", "Training", "Evaluation",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Yams", package: "Yams"),
            // run-cell's flags are parsed here, so sweeps, Slurm scripts and tests share one parser.
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: plain),
        // The measurements behind `metalora bench` (the command itself lives in the executable).
        .target(name: "Bench", dependencies: ["Engine", "Models", "Adapters", "Data", "Evaluation", "Training"], swiftSettings: plain),
        .executableTarget(name: "metalora", dependencies: [
            "Engine", "Models", "Adapters", "Data", "Training", "Evaluation", "Harness", "Bench",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: plain),
        // Shared by the test targets: fixture discovery and tolerance assertions.
        .target(name: "TestSupport", dependencies: ["Engine", "Models"], swiftSettings: plain),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "TestSupport"], swiftSettings: plain),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "TestSupport"], swiftSettings: plain),
        .testTarget(name: "AdaptersTests", dependencies: ["Adapters", "TestSupport"], exclude: ["Fixtures"], swiftSettings: plain),
        .testTarget(name: "DataTests", dependencies: ["Data", "TestSupport"], swiftSettings: plain),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "TestSupport"], swiftSettings: plain),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Data", "TestSupport"], swiftSettings: plain),
        .testTarget(name: "BenchTests", dependencies: ["Bench", "TestSupport"], swiftSettings: plain),
        .testTarget(name: "HarnessTests", dependencies: ["Harness", "Data", "TestSupport"], swiftSettings: plain),
    ]
)
