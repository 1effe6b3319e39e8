#!/bin/sh
exec pytest -q
