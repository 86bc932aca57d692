#pragma once
/// @file
/// Umbrella header: the whole core API. Backends have their own headers
/// (reverify/sqlite/…, reverify/redis/…); fmt formatters are opt-in (reverify/fmt.hpp).

#include "reverify/argon2id_hasher.hpp"
#include "reverify/callback_sender.hpp"
#include "reverify/clock.hpp"
#include "reverify/code_sender.hpp"
#include "reverify/error.hpp"
#include "reverify/events.hpp"
#include "reverify/identifier.hpp"
#include "reverify/memory_store.hpp"
#include "reverify/outbox_sender.hpp"
#include "reverify/password_hasher.hpp"
#include "reverify/pepper.hpp"
#include "reverify/policy.hpp"
#include "reverify/record.hpp"
#include "reverify/result.hpp"
#include "reverify/secret_string.hpp"
#include "reverify/store.hpp"
#include "reverify/store_wrapper.hpp"
#include "reverify/verification_manager.hpp"
#include "reverify/version.hpp"
