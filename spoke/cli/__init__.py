"""spoke.cli"""
