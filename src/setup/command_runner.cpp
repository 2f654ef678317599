#include "setup/command_runner.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ptagent {

ProcessRunner::ProcessRunner(std::string search_path) : path_(std::move(search_path)) {}

namespace {

std::string find_program(const std::string& path, const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return {};
}

// A file in memory (memfd) holding `text`, positioned at its start; -1 on failure.
int memory_file(const char* name, std::string_view text) {
  const int fd = ::memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return -1;
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return -1;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::lseek(fd, 0, SEEK_SET) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string read_all(int fd) {
  std::string out;
  if (::lseek(fd, 0, SEEK_SET) != 0) return out;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

FilterResult ProcessRunner::filter(const std::vector<std::string>& argv, std::string_view input) {
  FilterResult result;
  if (argv.empty()) return {127, {}, "no command"};
  const std::string program = find_program(path_, argv[0]);
  if (program.empty()) return {127, {}, argv[0] + ": not found in " + path_};
  // Files, not pipes: the child can write as much as it likes without anyone reading while it
  // runs, and no poll loop is needed to feed stdin and drain two outputs at once.
  const int in = memory_file("ptagent-stdin", input);
  const int out = memory_file("ptagent-stdout", {});
  const int err = memory_file("ptagent-stderr", {});
  auto close_all = [&] {
    for (int fd : {in, out, err})
      if (fd >= 0) ::close(fd);
  };
  if (in < 0 || out < 0 || err < 0) {
    const std::string why = std::strerror(errno);
    close_all();
    return {127, {}, "memfd_create: " + why};
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::string path_env = "PATH=" + path_;
  char lc[] = "LC_ALL=C";
  std::vector<char*> env = {path_env.data(), lc, nullptr};
  const pid_t pid = ::fork();
  if (pid < 0) {
    const std::string why = std::strerror(errno);
    close_all();
    return {127, {}, "fork: " + why};
  }
  if (pid == 0) {
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(program.c_str(), args.data(), env.data());
    const char msg[] = "exec failed\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.output = read_all(out);
  result.errors = read_all(err);
  close_all();
  return result;
}

CommandResult ProcessRunner::run(const std::vector<std::string>& argv) {
  CommandResult result;
  if (argv.empty()) return {127, "no command"};
  const std::string program = find_program(path_, argv[0]);
  if (program.empty()) return {127, argv[0] + ": not found in " + path_};
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return {127, std::string("pipe: ") + std::strerror(errno)};
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::string path_env = "PATH=" + path_;
  char lc[] = "LC_ALL=C";
  std::vector<char*> env = {path_env.data(), lc, nullptr};
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return {127, std::string("fork: ") + std::strerror(errno)};
  }
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    ::execve(program.c_str(), args.data(), env.data());
    const char msg[] = "exec failed\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(pipefd[1]);
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(pipefd[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string command_text(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !a.empty() && a.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789-_=./:,+@%") == std::string::npos;
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
  }
  return out;
}

}  // namespace ptagent
