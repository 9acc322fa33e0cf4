"""spoke.env"""
