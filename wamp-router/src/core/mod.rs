//! The routing state with no IO: realms, sessions, broker, dealer and the meta API.
