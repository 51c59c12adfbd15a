// swift-tools-version:6.0
import PackageDescription

// Layering: haprov (executable) -> HaprovCLI -> HaprovSSH / HaprovLab -> HaprovCore.
// HaprovCore imports no C; only HaprovSSH sees libssh2.
let package = Package(
    name: "haprov",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "haprov", targets: ["haprov"]),
        .library(name: "HaprovCore", targets: ["HaprovCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // Ansible Vault: PBKDF2, AES-256-CTR and HMAC-SHA256 (Crypto, _CryptoExtras).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibSSH2",
            pkgConfig: "libssh2",
            providers: [.apt(["libssh2-1-dev"])]
        ),
        .target(
            name: "HaprovCore",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "HaprovSSH", dependencies: ["HaprovCore", "CLibSSH2"]),
        .target(name: "HaprovLab", dependencies: ["HaprovCore"]),
        .target(
            name: "HaprovCLI",
            dependencies: [
                "HaprovCore", "HaprovSSH", "HaprovLab",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "haprov", dependencies: ["HaprovCLI"]),
        .testTarget(name: "HaprovCoreTests", dependencies: ["HaprovCore"]),
        .testTarget(name: "HaprovSSHTests", dependencies: ["HaprovSSH", "HaprovCore"]),
        .testTarget(name: "HaprovLabTests", dependencies: ["HaprovLab", "HaprovSSH", "HaprovCore"]),
        .testTarget(name: "HaprovCLITests", dependencies: ["HaprovCLI", "HaprovCore"]),
    ],
    swiftLanguageModes: [.v6]
)
