"""spoke.config"""
