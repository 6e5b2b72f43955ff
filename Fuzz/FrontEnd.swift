// libFuzzer target: the script front end as `rmtl check` runs it (lexer → parser with includes →
// checker). Includes resolve relative to a private temp folder; the stdlib is $RMTL_STDLIB (scripts/fuzz: stdlib/).
// Besides "no crash", every input must meet G2 (../shared/docs/reliability.md): the lexer is
// lossless, a rejected input has at least one diagnostic, and every diagnostic points inside its file.
import RMTLScript

nonisolated(unsafe) let session = Session(
    loader: ScriptLoader(stdlibDirectories: ScriptLoader.defaultStdlibDirectories()), write: { _ in }, writeError: { _ in })

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrontEnd(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let file = SourceFile(name: fuzzDirectory + "/input.rmtl", bytes: bytes(data, size))
    checkLossless(file)
    let outcome = session.run(file: file, mode: .check)
    guard outcome.status == .ok || !outcome.errors.isEmpty else { fatalError("G2: rejected (\(outcome.status)) without a diagnostic") }
    for error in outcome.errors {
        // line:col are computed from the byte range, so a range inside the file is a position inside it.
        let r = error.range
        guard 0 <= r.start, r.start <= r.end, r.end <= r.file.bytes.count else {
            fatalError("G2: diagnostic range \(r.start)..<\(r.end) outside \(r.file.name) (\(r.file.bytes.count) bytes): \(Diagnostic(error).message)")
        }
    }
    return 0
}

/// G2: token ranges tile the input exactly and end with the end-of-file token.
func checkLossless(_ file: SourceFile) {
    let (tokens, _) = Lexer.lex(file)
    var at = 0
    for t in tokens {
        guard t.start == at else { fatalError("G2: token \(t.kind) at \(t.start), expected \(at)") }
        at = t.end
    }
    guard at == file.bytes.count, tokens.last?.kind == .endOfFile else {
        fatalError("G2: tokens end at \(at) of \(file.bytes.count) bytes")
    }
}
