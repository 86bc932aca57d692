// reverify-server: wires options, users, store, hasher, sender and manager, then serves HTTP.
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "api_router.hpp"
#include "http_server.hpp"
#include "pepper_file.hpp"
#include "reverify/argon2id_hasher.hpp"
#include "reverify/clock.hpp"
#include "reverify/outbox_sender.hpp"
#include "reverify/verification_manager.hpp"
#include "reverify/version.hpp"
#include "server_options.hpp"
#include "store_from_uri.hpp"
#include "users_file.hpp"

#ifdef REVERIFY_SERVER_HAS_LEGACY
#include "reverify/legacy/legacy_hasher.hpp"
#endif

namespace {

namespace asio = boost::asio;
using namespace reverify::server;

constexpr int exit_usage = 2;
constexpr int exit_runtime = 1;
constexpr unsigned io_threads = 2;
constexpr unsigned handler_threads = 8;
constexpr std::chrono::seconds purge_interval{60};

int fail_start(int code, const std::string& message) {
  std::cerr << "reverify-server: " << message << '\n';
  return code;
}

std::string default_users_file() {
  std::string relative = "examples/account_api_server/demo-users.json";
  std::error_code ec;
  if (std::filesystem::exists(relative, ec)) return relative;
  return REVERIFY_SERVER_DEMO_USERS;  // the source tree this binary was built from
}

// Whether only this machine can reach `host` (an address of 127.0.0.0/8 or ::1, or "localhost").
bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

// Expired records and windows are dropped in bounded steps, on the handler pool.
void schedule_purge(asio::steady_timer& timer, asio::thread_pool& pool,
                    const std::shared_ptr<const reverify::VerificationManager>& manager) {
  timer.expires_after(purge_interval);
  timer.async_wait([&timer, &pool, manager](boost::system::error_code ec) {
    if (ec) return;
    asio::post(pool, [manager] {
      if (auto purged = manager->purge_expired(); !purged) {
        std::cerr << "reverify-server: purge failed: " << purged.error().message() << '\n';
      }
    });
    schedule_purge(timer, pool, manager);
  });
}

int run(int argc, char** argv) {
  auto options = parse_options(argc, argv);
  if (!options) return fail_start(exit_usage, options.error());
  if (options->help) {
    std::cout << usage_text();
    return 0;
  }
  if (options->version) {
    std::cout << "reverify-server " << REVERIFY_VERSION_MAJOR << '.' << REVERIFY_VERSION_MINOR << '.'
              << REVERIFY_VERSION_PATCH << '\n';
    return 0;
  }

  reverify::PepperRing peppers;
  if (options->pepper_file) {
    auto pepper = load_pepper_file(*options->pepper_file);
    if (!pepper) return fail_start(exit_usage, pepper.error());
    peppers.peppers.push_back(std::move(*pepper));
  } else if (is_durable_store_uri(options->store_uri)) {
    return fail_start(exit_usage,
                      "a durable --store needs --pepper-file (32 bytes), or its codes stop verifying after a restart");
  } else {
    peppers.peppers.push_back(reverify::Pepper::random(1));
  }

  auto argon2 = reverify::Argon2idHasher::create();
  if (!argon2) return fail_start(exit_runtime, "cannot create the password hasher: " + argon2.error().message());
  std::shared_ptr<reverify::PasswordHasher> hasher = *argon2;
#ifdef REVERIFY_SERVER_HAS_LEGACY
  auto legacy = reverify::legacy::LegacyHasher::create(*argon2);
  if (!legacy) return fail_start(exit_runtime, "cannot create the legacy hasher: " + legacy.error().message());
  hasher = *legacy;
#endif

  if (!options->users_file && !is_loopback(options->host)) {
    return fail_start(exit_usage, "the demo users' tokens and passwords are published: --listen on " + options->host +
                                      " needs --users FILE");
  }
  const std::string users_path = options->users_file ? *options->users_file : default_users_file();
  auto users = load_users_file(users_path, *hasher);
  if (!users) return fail_start(exit_usage, users.error());
  auto directory = std::make_shared<UserDirectory>(std::move(*users));

  StoreSettings store_settings;
  store_settings.pg_flush_verified_marks = options->pg_flush_verified_marks;
  auto store = store_from_uri(options->store_uri, store_settings);
  if (!store) return fail_start(store.error().usage ? exit_usage : exit_runtime, store.error().message);

  std::shared_ptr<reverify::CodeSender> sender;
  if (options->outbox == "-") {
    sender = std::make_shared<reverify::OutboxSender>(std::cout);
  } else {
    auto file = reverify::OutboxSender::open_file(options->outbox);
    if (!file) return fail_start(exit_usage, file.error().message());
    sender = *file;
  }

  reverify::Dependencies deps;
  deps.store = store->store;
  deps.hasher = hasher;
  deps.sender = sender;
  deps.clock = std::make_shared<reverify::SystemClock>();
  deps.peppers = std::move(peppers);
  auto manager = reverify::VerificationManager::create(options->policy, std::move(deps));
  if (!manager) return fail_start(exit_usage, manager.error().message());
  auto shared_manager = std::make_shared<const reverify::VerificationManager>(std::move(*manager));

  auto router = std::make_shared<const ApiRouter>(ApiContext{shared_manager, hasher, directory});

  asio::io_context io(static_cast<int>(io_threads));
  asio::thread_pool pool(handler_threads);
  HttpServer server(io, pool, router);
  const auto endpoint = server.listen(options->host, options->port);
  if (!endpoint) return fail_start(exit_runtime, endpoint.error());

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (ec) return;
    server.stop();
    io.stop();
  });
  asio::steady_timer purge_timer(io);
  schedule_purge(purge_timer, pool, shared_manager);
  server.start();

  // The listening socket is open: clients may connect from this line on.
  std::cout << "reverify-server listening on http://" << format_host_port(options->host, endpoint->port()) << std::endl;
  std::cerr << "reverify-server: " << directory->size() << " users from " << users_path << ", store "
            << store->description << ", outbox " << (options->outbox == "-" ? "stdout" : options->outbox) << '\n';

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < io_threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& thread : threads) thread.join();
  // A handler already running finishes; queued ones are dropped with their connections (stop()).
  pool.stop();
  pool.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A closed stdout (outbox "-") must fail the send, not kill the server.
  (void)std::signal(SIGPIPE, SIG_IGN);
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "reverify-server: fatal: " << error.what() << '\n';
  } catch (...) {
    std::cerr << "reverify-server: fatal error\n";
  }
  return exit_runtime;
}
