// libFuzzer target: the script front end as `rmtl check` runs it (lexer → parser with includes →
// checker). Includes resolve relative to a private temp folder; the stdlib is $RMTL_STDLIB (scripts/fuzz: stdlib/).
import RMTLScript

nonisolated(unsafe) let session = Session(
    loader: ScriptLoader(stdlibDirectories: ScriptLoader.defaultStdlibDirectories()), write: { _ in }, writeError: { _ in })

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrontEnd(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let file = SourceFile(name: fuzzDirectory + "/input.rmtl", bytes: bytes(data, size))
    _ = session.run(file: file, mode: .check)
    return 0
}
