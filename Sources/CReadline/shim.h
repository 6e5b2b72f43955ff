#ifndef RMTL_READLINE_SHIM_H
#define RMTL_READLINE_SHIM_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <readline/readline.h>
#include <readline/history.h>

// Swift 6 rejects direct use of readline's mutable globals ("not concurrency-safe"), so every
// global we touch goes through a static-inline accessor. Call these only from the prompt thread.
static inline void rmtl_rl_set_readline_name(const char *name) { rl_readline_name = strdup(name); }
static inline void rmtl_rl_set_attempted_completion_function(rl_completion_func_t *f) {
    rl_attempted_completion_function = f;
}
static inline void rmtl_rl_set_attempted_completion_over(int v) { rl_attempted_completion_over = v; }
static inline void rmtl_rl_set_completion_append_character(int c) { rl_completion_append_character = c; }
static inline void rmtl_rl_set_catch_signals(int v) { rl_catch_signals = v; }
static inline void rmtl_rl_set_signal_event_hook(rl_hook_func_t *f) { rl_signal_event_hook = f; }
static inline const char *rmtl_rl_line_buffer(void) { return rl_line_buffer; }
// Completion inside "…" completes file names; readline then strips and re-adds the quote.
static inline void rmtl_rl_set_completer_quote_characters(const char *chars) {
    rl_completer_quote_characters = strdup(chars);
}
static inline int rmtl_history_length(void) { return history_length; }

// Ctrl-C at the prompt, called from rl_signal_event_hook (normal context): drop the partial
// line and redraw a fresh prompt; readline() keeps waiting for input.
static inline void rmtl_rl_abandon_line(int echo_ctrl_c, const char *fresh_prompt) {
    rl_free_line_state();
    rl_replace_line("", 1);
    rl_point = rl_end = rl_mark = 0;
    if (echo_ctrl_c) fputs("^C", rl_outstream ? rl_outstream : stdout);
    rl_crlf();
    rl_on_new_line();
    rl_set_prompt(fresh_prompt);  // a dropped block's `...` prompt becomes the first-line prompt
    rl_redisplay();
}

// A parent (a test runner, a CI job) may start us with SIGINT blocked; unblock it so Ctrl-C and
// `kill -INT` reach the handler.
static inline int rmtl_unblock_sigint(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    return sigprocmask(SIG_UNBLOCK, &set, NULL);
}

// SIGINT handler without SA_RESTART, so a blocking read returns EINTR.
static inline int rmtl_install_sigint_handler(void (*handler)(int)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    return sigaction(SIGINT, &sa, NULL);
}
#endif
