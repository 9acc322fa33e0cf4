"""spoke.prepare"""
