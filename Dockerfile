# syntax=docker/dockerfile:1
#
# kubereach as a container image, for CI systems that run tools as images:
#
#   docker build -t kubereach .
#   docker run --rm -v "$PWD:/work" -w /work kubereach check -f k8s/
#
# A static musl binary (Alpine's Rust targets musl and links statically) on
# distroless's `static` base: no shell, no package manager, no libc, and a
# non-root user (65532, `nonroot`), so `runAsNonRoot` admits it.

FROM rust:1.89-alpine AS build
# mimalloc and ring compile C: a compiler and the musl headers.
RUN apk add --no-cache build-base musl-dev
WORKDIR /src
COPY . .
RUN cargo build --release --locked --package kubereach \
 && cp target/release/kubereach /kubereach

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /kubereach /usr/local/bin/kubereach
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/kubereach"]
CMD ["--help"]
