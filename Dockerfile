# Multi-stage build of a small static operator image.
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends musl-tools && rm -rf /var/lib/apt/lists/* \
 && rustup target add x86_64-unknown-linux-musl
WORKDIR /src
COPY . .
RUN cargo build --release --locked --target x86_64-unknown-linux-musl --bin warmstandby \
 && strip target/x86_64-unknown-linux-musl/release/warmstandby

# No shell, no package manager; runs as an unprivileged user with a
# read-only root filesystem (see the chart's securityContext).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/target/x86_64-unknown-linux-musl/release/warmstandby /usr/local/bin/warmstandby
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/warmstandby"]
CMD ["operator"]
