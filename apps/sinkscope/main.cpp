// sinkscope: find and fix the glitches in the attention matrix.
#include <c10/util/Exception.h>

#include <cstdio>

#include "commands.h"
#include "nn/runtime.h"
#include "util/error.h"

namespace {

// First line of a message: errors stay one line even when torch appends a backtrace.
std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

int main(int argc, char** argv) {
  ss::nn::tune_allocator();
  CLI::App app{"sinkscope - find and fix high-norm artifacts and attention sinks in transformers"};
  app.footer("Run `sinkscope COMMAND --help` for a command's options and an example.");
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "compute threads (default: all cores)")->check(ss::cli::at_least(0));
  app.parse_complete_callback([&threads] { ss::nn::set_threads(threads); });
  ss::cli::add_registered_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "error: %s (see --help)\n", first_line(e.what()).c_str());
    return 2;
  } catch (const ss::Interrupted& e) {
    std::fprintf(stderr, "interrupted: %s\n", first_line(e.what()).c_str());
    return 130;
  } catch (const ss::UsageError& e) {
    std::fprintf(stderr, "error: %s\n", first_line(e.what()).c_str());
    return 2;
  } catch (const ss::Error& e) {
    std::fprintf(stderr, "error: %s\n", first_line(e.what()).c_str());
    return 1;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "error: %s\n", first_line(e.what_without_backtrace()).c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", first_line(e.what()).c_str());
    return 1;
  }
  return 0;
}
