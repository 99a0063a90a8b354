//! POSIX message queues (`mq_open`, `mq_send`, `mq_receive`, `mq_notify`).
