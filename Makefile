# Neuropod: the two commands of the README.
#   make up     run Neuropod locally (database, Kubernetes sandbox if no cluster, API :3000, web :5173)
#   make test   everything CI runs
# The rest are building blocks of those two, and `make bench` (bench/README.md: figures, not pass/fail).
SHELL := /bin/bash
BUILD ?= build

.PHONY: up test bench deps build build-asan lint unit web-check clean

up:
	@tools/up

test:
	@tools/test

bench:
	@bench/pods_deploy

deps:
	@tools/deps/install

build:
	@tools/build release

build-asan:
	@tools/build asan

lint: build
	@tools/lint $(BUILD)/server

clean:
	rm -rf $(BUILD)
